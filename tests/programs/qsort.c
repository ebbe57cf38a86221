// A real C program (clang-16, wasm32-wasi reactor, wasi-libc) that pauses inside callbacks
// called by libc: the qsort and bsearch comparators call the async import env.sleep_ms.
//
// The pause happens with libc's sorting code (reached through an indirect call of the
// comparator) on the stack, so the transform must instrument indirect calls (no
// ignore-indirect) and libc's qsort internals. Output goes through printf (WASI fd_write) and
// is compared with the untransformed program's output. A recursive function with double
// locals also pauses at every level.
//
// Async import: env.sleep_ms(int) -> int (the host's value is mixed into the output, so a
// wrong value after resuming shows up).
// Entry point: `run(n, seed) -> int` (after `_initialize`).

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

__attribute__((import_module("env"), import_name("sleep_ms"))) int sleep_ms(int ms);

struct item {
    char name[12];
    double weight;
    int id;
};

static unsigned compares;
static unsigned tokens;

// qsort comparator: pauses on every comparison; `wa` and `a` are live across the pause.
static int by_weight(const void *pa, const void *pb) {
    const struct item *a = pa, *b = pb;
    double wa = a->weight;
    int token = sleep_ms(a->id % 5);
    tokens = tokens * 31u + (unsigned)token;
    compares++;
    if ((compares & 15) == 0)
        printf("  compare #%u: %s vs %s (token %d)\n", compares, a->name, b->name, token & 0xff);
    if (wa < b->weight) return -1;
    if (wa > b->weight) return 1;
    return strcmp(a->name, b->name);
}

// bsearch comparator: also pauses.
static int find_weight(const void *key, const void *elem) {
    const double *w = key;
    const struct item *it = elem;
    tokens ^= (unsigned)sleep_ms(100 + it->id);
    return (*w > it->weight) - (*w < it->weight);
}

// Recursion with double and int locals live across a pause at every level.
static double descend(int depth, double x) {
    double y = x * 1.5 + depth;
    int t = sleep_ms(200 + depth);
    if (depth == 0) return y + (t & 7);
    double below = descend(depth - 1, y / 2);
    return below + y - (double)(t & 3);
}

__attribute__((export_name("run"))) int run(int n, unsigned seed) {
    struct item *items = calloc((size_t)n, sizeof *items);
    if (!items) return -1;
    for (int i = 0; i < n; i++) {
        seed = seed * 1103515245u + 12345u;
        snprintf(items[i].name, sizeof items[i].name, "item%02d", i);
        items[i].weight = (double)((seed >> 8) % 1000) / 8.0;
        items[i].id = i;
    }
    printf("sorting %d items\n", n);
    qsort(items, (size_t)n, sizeof *items, by_weight);
    for (int i = 0; i < n; i++)
        printf("%2d. %-8s %8.3f\n", i + 1, items[i].name, items[i].weight);

    int found = 0;
    for (int i = 0; i < n; i += 3) {
        double w = items[i].weight;
        struct item *hit = bsearch(&w, items, (size_t)n, sizeof *items, find_weight);
        if (hit && hit->weight == w) found++;
    }
    printf("found %d of %d by bsearch\n", found, (n + 2) / 3);

    double d = descend(12, 0.75);
    printf("descend: %.6f\n", d);
    printf("%u compares, tokens %08x\n", compares, tokens);
    fflush(stdout);
    free(items);
    return (int)compares;
}

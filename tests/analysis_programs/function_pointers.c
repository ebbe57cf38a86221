// A C program that calls through function pointers (clang-16, wasm32-wasi reactor,
// wasi-libc), for the indirect-call narrowing tests in `tests/analysis.rs`.
//
// Events are handled through a table of handlers; only `slow_handler` pauses (it calls the
// async import env.sleep_ms). qsort then calls a comparator through a pointer of another
// type, and printf calls libc's stream functions through pointers: with narrowing, neither
// is instrumented, since nothing they can call can pause.
//
// Async import: env.sleep_ms(int) -> int. Entry point: `run(n) -> int`.

#include <stdio.h>
#include <stdlib.h>

__attribute__((import_module("env"), import_name("sleep_ms"))) int sleep_ms(int ms);

struct event {
    int kind;
    int value;
    int result;
};

typedef void (*handler)(struct event *);

static int total;

__attribute__((noinline)) static void slow_handler(struct event *e) {
    int before = e->value * 3;
    int token = sleep_ms(e->value);
    e->result = before + (token & 0xff);
}

__attribute__((noinline)) static void fast_handler(struct event *e) {
    e->result = e->value * 2;
}

__attribute__((noinline)) static void count_handler(struct event *e) {
    total += e->value;
    e->result = total;
}

static handler handlers[3] = {slow_handler, fast_handler, count_handler};

static int by_result(const void *a, const void *b) {
    const struct event *x = a, *y = b;
    return (x->result > y->result) - (x->result < y->result);
}

__attribute__((noinline)) static void dispatch(struct event *e) {
    handlers[e->kind](e);
}

__attribute__((export_name("run"))) int run(int n) {
    struct event *events = calloc((size_t)n, sizeof *events);
    for (int i = 0; i < n; i++) {
        events[i].kind = i % 2 == 0 ? 0 : (i % 4 == 1 ? 1 : 2);
        events[i].value = i * 7 + 1;
        dispatch(&events[i]);
    }
    qsort(events, (size_t)n, sizeof *events, by_result);
    int sum = 0;
    for (int i = 0; i < n; i++) {
        printf("event %d: kind %d result %d\n", i, events[i].kind, events[i].result);
        sum += events[i].result;
    }
    printf("handled %d events\n", n);
    fflush(stdout);
    free(events);
    return sum;
}

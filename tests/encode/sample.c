/* A small but varied C program for the encoder round-trip test (tests/encode_roundtrip.rs).
   Compiled at test time with clang-16 for wasm32-wasi; it pulls in parts of wasi-libc
   (printf, qsort, malloc, string and math routines) so the module looks like real output. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct node {
    int key;
    double weight;
    struct node *left, *right;
};

static struct node *insert(struct node *root, int key, double weight) {
    if (!root) {
        struct node *n = calloc(1, sizeof *n);
        n->key = key;
        n->weight = weight;
        return n;
    }
    if (key < root->key)
        root->left = insert(root->left, key, weight);
    else if (key > root->key)
        root->right = insert(root->right, key, weight);
    else
        root->weight += weight;
    return root;
}

static double total(const struct node *n) {
    return n ? n->weight + total(n->left) + total(n->right) : 0.0;
}

static void free_tree(struct node *n) {
    if (!n) return;
    free_tree(n->left);
    free_tree(n->right);
    free(n);
}

static int cmp_int(const void *a, const void *b) {
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

uint32_t crc32(const uint8_t *data, size_t len) {
    uint32_t crc = 0xffffffffu;
    for (size_t i = 0; i < len; i++) {
        crc ^= data[i];
        for (int k = 0; k < 8; k++) crc = (crc >> 1) ^ (0xedb88320u & -(crc & 1));
    }
    return ~crc;
}

int state_machine(const char *s) {
    int state = 0, count = 0;
    for (; *s; s++) {
        switch (state) {
        case 0: state = (*s == 'a') ? 1 : (*s == 'b') ? 2 : 0; break;
        case 1: state = (*s == 'b') ? 3 : (*s == 'a') ? 1 : 0; break;
        case 2: state = (*s == 'c') ? 4 : 0; break;
        case 3: count++; state = 0; break;
        case 4: count += 2; state = (*s == 'a'); break;
        default: return -1;
        }
    }
    return count * 10 + state;
}

void saxpy(float *y, const float *x, float a, int n) {
    for (int i = 0; i < n; i++) y[i] = a * x[i] + y[i];
}

int64_t dot64(const int64_t *a, const int64_t *b, int n) {
    int64_t s = 0;
    for (int i = 0; i < n; i++) s += a[i] * b[i];
    return s;
}


double stats(int n) {
    int *v = malloc(sizeof(int) * (size_t)n);
    struct node *tree = NULL;
    for (int i = 0; i < n; i++) {
        v[i] = (i * 7919) % 1009 - 500;
        tree = insert(tree, v[i], sqrt((double)(i + 1)));
    }
    qsort(v, (size_t)n, sizeof(int), cmp_int);
    double t = total(tree) + v[n / 2] + pow(1.5, (double)(n % 7)) + fmod((double)n, 3.0);
    free_tree(tree);
    free(v);
    return t;
}

int format_report(char *buf, size_t size, int n) {
    return snprintf(buf, size, "n=%d mean=%.3f crc=%08x str=%s", n, stats(n) / n,
                    crc32((const uint8_t *)buf, strlen(buf)), strchr("hello world", 'w'));
}

long long parse_numbers(const char *text) {
    long long sum = 0;
    char *end;
    while (*text) {
        long long v = strtoll(text, &end, 0);
        if (end == text) { text++; continue; }
        sum += v;
        text = end;
    }
    return sum;
}

int main_like(int argc, char **argv) {
    char buf[256];
    buf[0] = 0;
    int r = format_report(buf, sizeof buf, argc + 10);
    printf("%s\n", buf);
    for (int i = 0; i < argc; i++) r += state_machine(argv[i]) + (int)parse_numbers(argv[i]);
    return r;
}

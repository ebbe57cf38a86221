// A small C program for the "untouched functions are byte-for-byte identical" check: a few
// functions reach the pausing import (`wait_and_add`, `run`), the rest (`mix`, `fill`,
// `checksum`, `pure`, and most of libc) cannot, and must come out exactly as clang wrote them.
//
// Async imports: env.sleep_ms. Exports: run(n) (pauses n times, prints a line), pure(n).
#include <stdio.h>

__attribute__((import_module("env"), import_name("sleep_ms"))) int sleep_ms(int ms);

static int table[64];

__attribute__((noinline)) static int mix(int a, int b) {
    return (a * 31) ^ (b >> 3) ^ (b << 7);
}

__attribute__((noinline)) static void fill(int seed) {
    for (int i = 0; i < 64; i++) {
        table[i] = mix(seed, i);
    }
}

__attribute__((noinline)) static int checksum(void) {
    int sum = 0;
    for (int i = 0; i < 64; i++) {
        sum = sum * 3 + table[i];
    }
    return sum;
}

__attribute__((noinline)) static int wait_and_add(int x) {
    return x + (sleep_ms(x & 15) & 0xff);
}

__attribute__((export_name("run"))) int run(int n) {
    fill(n);
    int s = checksum();
    for (int i = 0; i < n; i++) {
        s = wait_and_add(s + i);
    }
    printf("run %d -> %d\n", n, s);
    return s;
}

__attribute__((export_name("pure"))) int pure(int n) {
    fill(n);
    return checksum();
}

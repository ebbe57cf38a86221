/* Pause+resume at a chosen stack depth: run(d) recurses d frames (each with an i32, an i64 and
 * an f64 live across the recursive call) and calls env.yield at the bottom. The host pauses
 * there, reads how many bytes the unwind saved (`pos` in the data header), and resumes.
 * The asyncify data buffer is `buf()`, `buf_size()` bytes. */
#include <stdint.h>

#define EXPORT(name) __attribute__((export_name(name)))

__attribute__((import_module("env"), import_name("yield"))) void host_yield(void);

static char data[1 << 20] __attribute__((aligned(16)));

EXPORT("buf") int buf(void) { return (int)(intptr_t)data; }
EXPORT("buf_size") int buf_size(void) { return (int)sizeof data; }

__attribute__((noinline)) static int rec(int d, int a, int64_t b, double c) {
    if (d == 0) {
        host_yield();
        return a;
    }
    int r = rec(d - 1, a * 3 + 1, b ^ ((int64_t)d << 20), c * 0.5 + d);
    return r * (a | 1) + (int)(b >> 7) + (int)c;
}

EXPORT("run") int run(int d) { return rec(d, 1, 2, 3.0); }

/* Shared by the benchmark kernels: each exports `int run(int outer)`, calls the pausing
 * import `env.yield` once per iteration of its outer loop, prints one line with printf (so the
 * module also imports WASI's fd_write and has libc's indirect calls), and returns a checksum
 * that must not change when the module is asyncified. */
#ifndef BENCH_COMMON_H
#define BENCH_COMMON_H

#include <stdint.h>
#include <stdio.h>

#define EXPORT(name) __attribute__((export_name(name)))

/* The import a host would pause in. */
__attribute__((import_module("env"), import_name("yield"))) void host_yield(void);

#endif

// The original Asyncify write-up's C example, without Emscripten: an "infinite loop" that
// polls for a timer and sleeps between polls. Each sleep returns to the JavaScript event loop
// (the host's `sleep_ms` returns a Promise), so the timer really fires during the loop.
//
// Build and run: see build.sh in this directory (run with timers.mjs).
#include <stdio.h>

// Host functions, provided by timers.mjs.
__attribute__((import_module("env"), import_name("start_timer"))) void start_timer(int ms);
__attribute__((import_module("env"), import_name("check_timer"))) int check_timer(void);
__attribute__((import_module("env"), import_name("sleep_ms"))) void sleep_ms(int ms);

// Returns how many times it slept.
__attribute__((export_name("run"))) int run(void) {
  start_timer(500);
  int naps = 0;
  while (1) {
    if (check_timer()) {
      printf("timer happened!\n");
      fflush(stdout);
      return naps;
    }
    printf("sleeping...\n");
    fflush(stdout);
    naps++;
    sleep_ms(100);
  }
}

/*
 * asyncify_coro.h: coroutines for C on WebAssembly, built on asyncify.h. Header only; no host
 * support needed: everything happens inside the module.
 *
 *   static void count(struct asyncify_coro *co, void *arg) {
 *     for (intptr_t i = 0; i < 3; i++) asyncify_coro_yield(co, i);
 *   }
 *
 *   static char memory[16384];
 *   struct asyncify_coro co;
 *   asyncify_coro_init(&co, count, NULL, memory, sizeof memory);
 *   while (asyncify_coro_resume(&co) == 1) printf("%ld\n", (long)co.value);  // 0 1 2
 *
 * Build: compile as usual, then `asyncify app.wasm --ignore-imports --ignore-indirect -O -o
 * app.async.wasm` (add `--imports` for host imports that pause too). Without asyncify the
 * module does not even instantiate: it imports `asyncify.*`.
 *
 * Each coroutine owns the memory given to asyncify_coro_init(): the lower half holds the
 * asyncify frames saved while it is suspended, the upper half is its own C stack (so arrays
 * and other locals whose address is taken survive while other coroutines run). A coroutine
 * may resume another one (nesting); a suspended coroutine is resumed from anywhere.
 *
 * If the saved frames do not fit in the lower half, the overflow is written into the bottom
 * of the coroutine's own C stack (the upper half) before it is detected; the coroutine is
 * then abandoned and asyncify_coro_resume() returns -1. The C stack itself is not checked,
 * as usual in WebAssembly.
 */
#ifndef ASYNCIFY_CORO_H
#define ASYNCIFY_CORO_H

#include <stddef.h>
#include <stdint.h>

#include "asyncify.h"

#ifdef __cplusplus
extern "C" {
#endif

struct asyncify_coro;

/* A coroutine body. Returning from it finishes the coroutine. */
typedef void (*asyncify_coro_fn)(struct asyncify_coro *co, void *arg);

enum asyncify_coro_status {
  ASYNCIFY_CORO_READY,     /* initialized, not started */
  ASYNCIFY_CORO_RUNNING,   /* inside asyncify_coro_resume() */
  ASYNCIFY_CORO_SUSPENDED, /* stopped at asyncify_coro_yield() */
  ASYNCIFY_CORO_DONE,      /* the body returned */
  ASYNCIFY_CORO_OVERFLOW,  /* its frames did not fit; abandoned */
};

struct asyncify_coro {
  struct asyncify_data data; /* the asyncify data structure for this coroutine */
  asyncify_coro_fn fn;
  void *arg;
  char *frames;        /* asyncify frames go in [frames, frames_end) */
  char *frames_end;
  char *stack_top;     /* the C stack grows down from here towards frames_end */
  void *stack_pointer; /* the coroutine's C stack pointer while it is suspended */
  int status;          /* enum asyncify_coro_status */
  int yielded;         /* set from a yield until the rewind comes back to it */
  intptr_t value;      /* the value of the last asyncify_coro_yield() */
};

/* The C stack pointer lives in the `__stack_pointer` global that clang and wasm-ld use. */
#if defined(__wasm64__)
#define ASYNCIFY_CORO_SP_TYPE "i64"
#else
#define ASYNCIFY_CORO_SP_TYPE "i32"
#endif

static inline void *asyncify_coro_get_sp_(void) {
  void *sp;
  __asm__ volatile(".globaltype __stack_pointer, " ASYNCIFY_CORO_SP_TYPE "\n\t"
                   "global.get __stack_pointer\n\t"
                   "local.set %0"
                   : "=r"(sp));
  return sp;
}

static inline void asyncify_coro_set_sp_(void *sp) {
  __asm__ volatile(".globaltype __stack_pointer, " ASYNCIFY_CORO_SP_TYPE "\n\t"
                   "local.get %0\n\t"
                   "global.set __stack_pointer"
                   :
                   : "r"(sp));
}

/* Prepare `co` to run `fn(co, arg)` on `size` bytes at `memory` (which must stay valid while
 * the coroutine lives). A few kilobytes suit most bodies. */
static inline void asyncify_coro_init(struct asyncify_coro *co, asyncify_coro_fn fn, void *arg,
                                      void *memory, size_t size) {
  uintptr_t low = ((uintptr_t)memory + 15) & ~(uintptr_t)15;
  uintptr_t high = ((uintptr_t)memory + size) & ~(uintptr_t)15;
  uintptr_t middle = (low + (high - low) / 2) & ~(uintptr_t)15;
  co->data.pos = (void *)low;
  co->data.end = (void *)middle;
  co->fn = fn;
  co->arg = arg;
  co->frames = (char *)low;
  co->frames_end = (char *)middle;
  co->stack_top = (char *)high;
  co->stack_pointer = (void *)high;
  co->status = ASYNCIFY_CORO_READY;
  co->yielded = 0;
  co->value = 0;
}

/*
 * Suspend the running coroutine `co`, handing `value` to whoever resumed it. Returns when the
 * coroutine is resumed. Call it from the body or any function the body calls (asyncify
 * instruments them all).
 *
 * This is asyncify runtime code: it starts unwinds and stops rewinds, so it must stay out of
 * line. It is called twice per yield: once to unwind, once more when the rewind reaches it.
 */
static inline __attribute__((noinline)) void asyncify_coro_yield(struct asyncify_coro *co,
                                                                 intptr_t value) {
  if (!co->yielded) {
    if (co->status != ASYNCIFY_CORO_RUNNING) __builtin_trap(); /* not inside this coroutine */
    co->value = value;
    co->yielded = 1;
    co->data.pos = co->frames;
    co->data.end = co->frames_end;
    asyncify_start_unwind(&co->data);
  } else {
    co->yielded = 0;
    asyncify_stop_rewind();
  }
}

/*
 * Run `co` until it yields or finishes. Returns 1 if it yielded (read `co->value`), 0 if it
 * has finished (now or before), -1 if its frames overflowed its memory (it is abandoned).
 *
 * This is an asyncify scheduler: it stops unwinds and starts rewinds, so an unwind from the
 * body ends here, and it must stay out of line.
 */
static inline __attribute__((noinline)) int asyncify_coro_resume(struct asyncify_coro *co) {
  if (co->status != ASYNCIFY_CORO_READY && co->status != ASYNCIFY_CORO_SUSPENDED) {
    return co->status == ASYNCIFY_CORO_OVERFLOW ? -1 : 0;
  }
  void *caller_sp = asyncify_coro_get_sp_();
  asyncify_coro_set_sp_(co->stack_pointer);
  if (co->status == ASYNCIFY_CORO_SUSPENDED) asyncify_start_rewind(&co->data);
  co->status = ASYNCIFY_CORO_RUNNING;
  co->fn(co, co->arg);
  int result;
  if (!co->yielded) {
    co->status = ASYNCIFY_CORO_DONE;
    result = 0;
  } else if ((char *)co->data.pos > co->frames_end) {
    /* Empty the asyncify stack first: asyncify_stop_unwind() traps while pos > end. */
    co->data.pos = co->frames;
    asyncify_stop_unwind();
    co->yielded = 0;
    co->status = ASYNCIFY_CORO_OVERFLOW;
    result = -1;
  } else {
    asyncify_stop_unwind();
    /* The body's C frames stay where they are, below this pointer, until it resumes. */
    co->stack_pointer = asyncify_coro_get_sp_();
    co->status = ASYNCIFY_CORO_SUSPENDED;
    result = 1;
  }
  asyncify_coro_set_sp_(caller_sp);
  return result;
}

#ifdef __cplusplus
}
#endif

#endif /* ASYNCIFY_CORO_H */

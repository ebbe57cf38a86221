/*
 * asyncify.h: the Asyncify ABI for C code compiled to WebAssembly.
 *
 * Declares the five `asyncify.*` functions a module can import to unwind and rewind its own
 * stack (the "in-module runtime"), the data structure they take, and the state values. Run
 * `asyncify` on the linked module: it removes these imports and makes the calls call the
 * functions it generates. See asyncify_coro.h for a ready-made coroutine helper built on them.
 *
 *   clang --target=wasm32-wasi -O2 -Iinclude app.c -o app.wasm
 *   asyncify app.wasm --ignore-imports --ignore-indirect -O -o app.async.wasm
 *
 * Rules the transform applies to code using these functions (the book's ABI chapter has the
 * details):
 * - A function that calls asyncify_start_unwind() or asyncify_stop_rewind() is runtime code:
 *   it is not instrumented itself, but its callers are (they can be paused through it).
 * - A function that calls asyncify_stop_unwind() or asyncify_start_rewind() is a scheduler:
 *   it is never instrumented and never counts as pausing, so an unwind stops at it.
 * - Keep both kinds out of line (`__attribute__((noinline))`): if the optimizer inlined
 *   runtime code into its caller, the caller would become runtime code and not be
 *   instrumented.
 */
#ifndef ASYNCIFY_H
#define ASYNCIFY_H

#ifdef __cplusplus
extern "C" {
#endif

/* Values of `asyncify_get_state()` (the `__asyncify_state` global). */
#define ASYNCIFY_STATE_NORMAL 0    /* running normally */
#define ASYNCIFY_STATE_UNWINDING 1 /* saving frames and returning */
#define ASYNCIFY_STATE_REWINDING 2 /* restoring frames and skipping forward */

/*
 * The data structure passed to asyncify_start_unwind() and asyncify_start_rewind(). Fill in
 * both fields before starting an unwind: `pos` is where the first frame goes, `end` is one
 * past the last usable byte. Frames are written upwards from `pos`, which the unwind leaves
 * pointing after the last frame and the rewind brings back down. Both pointers must be
 * 4-byte aligned (8 on wasm64). Pointer-sized fields: 8 + 8 bytes on wasm64, as the ABI
 * requires there.
 *
 * If the frames do not fit, the frames are written past `end` anyway and the next asyncify_*
 * call traps (`unreachable`): check `pos <= end` yourself after an unwind and leave room
 * after `end` if memory there matters.
 */
struct asyncify_data {
  void *pos;
  void *end;
};

#define ASYNCIFY_IMPORT(name) __attribute__((import_module("asyncify"), import_name(name)))

/* Start unwinding: every instrumented function on the stack saves its frame into `data` and
 * returns, up to the nearest scheduler (or out of the module). */
ASYNCIFY_IMPORT("start_unwind") void asyncify_start_unwind(struct asyncify_data *data);

/* Stop unwinding: call it in the scheduler once the unwound call returned. */
ASYNCIFY_IMPORT("stop_unwind") void asyncify_stop_unwind(void);

/* Start rewinding from `data`; then call the same function that was unwound. */
ASYNCIFY_IMPORT("start_rewind") void asyncify_start_rewind(struct asyncify_data *data);

/* Stop rewinding: call it where the unwind started, when that code is reached again. */
ASYNCIFY_IMPORT("stop_rewind") void asyncify_stop_rewind(void);

/* The current state (ASYNCIFY_STATE_*). `asyncify` replaces this import like the others;
 * Binaryen documents it but refuses it (wasm-opt 108: "call to unidenfied asyncify import:
 * get_state"), so code meant for both tools keeps its own flag instead, as asyncify_coro.h
 * does. */
ASYNCIFY_IMPORT("get_state") int asyncify_get_state(void);

#undef ASYNCIFY_IMPORT

#ifdef __cplusplus
}
#endif

#endif /* ASYNCIFY_H */

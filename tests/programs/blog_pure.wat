;; The pure-WebAssembly example from the Asyncify announcement blog post ("Pausing and
;; resuming WebAssembly with Binaryen's Asyncify"), unchanged except for what current WAT
;; parsers require: `(then ...)` / `(else ...)` keywords, and the memory after the imports.
;;
;; The runtime lives in the module: `$sleep` calls the `asyncify.*` imports, which the
;; transform replaces with calls to its own functions. `$sleep` and `$runtime` call the API, so
;; they are "runtime" code and are not instrumented; `$main` is.
;;
;; Entry point: the start function. Expected output (spectest.print): 1 2 3 -- main prints 1,
;; sleeps, the runtime prints 2 while main is paused, main resumes and prints 3.
;; Untransformed (the asyncify.* calls doing nothing) it prints 1 3 2 1 3.
(module
  (import "spectest" "print" (func $print (param i32)))
  (import "asyncify" "start_unwind" (func $asyncify_start_unwind (param i32)))
  (import "asyncify" "stop_unwind" (func $asyncify_stop_unwind))
  (import "asyncify" "start_rewind" (func $asyncify_start_rewind (param i32)))
  (import "asyncify" "stop_rewind" (func $asyncify_stop_rewind))
  (memory 1 1)
  (global $sleeping (mut i32) (i32.const 0))
  (start $runtime)
  (func $main
    (call $print (i32.const 1))
    (call $sleep)
    (call $print (i32.const 3))
  )
  (func $sleep
    (if
      (i32.eqz (global.get $sleeping))
      (then
        ;; Start to sleep.
        (global.set $sleeping (i32.const 1))
        (i32.store (i32.const 16) (i32.const 24))
        (i32.store (i32.const 20) (i32.const 1024))
        (call $asyncify_start_unwind (i32.const 16))
      )
      (else
        ;; Resume after sleep.
        (call $asyncify_stop_rewind)
        (global.set $sleeping (i32.const 0))
      )
    )
  )
  (func $runtime
    ;; Call main the first time, let the stack unwind.
    (call $main)
    (call $asyncify_stop_unwind)
    ;; We could do anything we want around here while
    ;; the code is paused!
    (call $print (i32.const 2))
    ;; Set the rewind in motion.
    (call $asyncify_start_rewind (i32.const 16))
    (call $main)
  )
)

;; A variant of the blog's pure-WebAssembly example that uses the `asyncify.get_state` import
;; (documented by Binaryen but not supported by it: wasm-opt 108 stops with "Fatal: call to
;; unidenfied asyncify import: get_state"; our transform replaces it like the other asyncify.*
;; imports).
;;
;; Instead of a `$sleeping` global, `$sleep` asks for the state: rewinding (2) means "we are
;; being resumed", anything else means "start a sleep". The runtime loops while main keeps
;; unwinding (get_state() == 1 after main returns), so main can sleep several times, and it
;; also reads the state in normal execution (0) and passes it through main's locals.
;;
;; Entry point: the start function. Expected output (spectest.print):
;;   0 (state seen by the runtime before starting), 1, 2, 3, 4, 5, 6, 7, 0 (final state)
;; main prints the odd numbers and sleeps between them; the runtime prints the even ones
;; while main is paused.
(module
  (import "spectest" "print" (func $print (param i32)))
  (import "asyncify" "start_unwind" (func $start_unwind (param i32)))
  (import "asyncify" "stop_unwind" (func $stop_unwind))
  (import "asyncify" "start_rewind" (func $start_rewind (param i32)))
  (import "asyncify" "stop_rewind" (func $stop_rewind))
  (import "asyncify" "get_state" (func $get_state (result i32)))
  (memory 1 1)
  (start $runtime)

  ;; Instrumented: calls $sleep, which can change the state. Its local $i lives across
  ;; three pauses.
  (func $main
    (local $i i32)
    (local.set $i (i32.const 1))
    (loop $again
      (call $print (local.get $i))
      (if (i32.lt_u (local.get $i) (i32.const 7))
        (then
          (call $sleep)
          (local.set $i (i32.add (local.get $i) (i32.const 2)))
          (br $again))))
  )

  ;; Runtime code: calls start_unwind / stop_rewind.
  (func $sleep
    (if (i32.eq (call $get_state) (i32.const 2))
      (then (call $stop_rewind))
      (else
        (i32.store (i32.const 16) (i32.const 24))
        (i32.store (i32.const 20) (i32.const 1024))
        (call $start_unwind (i32.const 16))))
  )

  ;; Runtime code: calls stop_unwind / start_rewind; never instrumented.
  (func $runtime
    (local $n i32)
    (call $print (call $get_state))
    (call $main)
    (block $done
      (loop $paused
        (br_if $done (i32.ne (call $get_state) (i32.const 1)))
        (call $stop_unwind)
        (local.set $n (i32.add (local.get $n) (i32.const 2)))
        (call $print (local.get $n))
        (call $start_rewind (i32.const 16))
        (call $main)
        (br $paused)))
    (call $print (call $get_state))
  )
)

;; The JavaScript example from the original Asyncify write-up: `main` calls `sleep`, an
;; import that JavaScript implements with `setTimeout`. After asyncify, `sleep` can pause the
;; whole wasm stack and resume it when the timer fires.
;;
;;   asyncify examples/sleep.wat --imports env.sleep -O -o sleep.wasm
;;   node examples/sleep.mjs sleep.wasm
(module
  (import "env" "before" (func $before))
  (import "env" "sleep" (func $sleep (param i32)))
  (import "env" "after" (func $after))
  (memory 1 1)
  (export "memory" (memory 0))
  (export "main" (func $main))
  (func $main
    (call $before)
    (call $sleep (i32.const 2000))
    (call $after)
  )
)

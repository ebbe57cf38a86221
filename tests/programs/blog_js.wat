;; The module of the blog's JavaScript example, driven by the wasmtime host instead of JS.
;;
;; Entry point: `main`. The host pauses at `env.sleep(2000)` and, while main is paused, calls
;; the export `event` ("an event that happens during the sleep"), then resumes.
;; Expected transcript: env.before(), [between] env.event(), env.sleep(2000), env.after().
(module
  (import "env" "before" (func $before))
  (import "env" "sleep" (func $sleep (param i32)))
  (import "env" "after" (func $after))
  (import "env" "event" (func $event))
  (memory 1 1)
  (export "memory" (memory 0))
  (export "main" (func $main))
  (func $main
    (call $before)
    (call $sleep (i32.const 2000))
    (call $after)
  )
  ;; Not instrumented (cannot reach env.sleep): runs in normal state while main is paused.
  (func (export "event")
    (call $event))
)

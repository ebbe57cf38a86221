;; A legacy `delegate` that skips the handler of a `try` whose body pauses (the runtime side
;; of `tests/wat/exceptions/delegate-shift.wat`). The exception thrown by `$thrower` is
;; delegated to `$outer`, past `$paused`'s `catch_all`: the program logs 2 and returns 2.
;; In every other round (`n` even) nothing throws and `run` pauses once.
;;
;; Async imports: env.sleep_i32. Logging: env.log_i32.
;; Entry point: `run(n: i32) -> i32`.
(module
  (import "env" "sleep_i32" (func $sleep_i32 (param i32) (result i32)))
  (import "env" "log_i32" (func $log (param i32)))
  (tag $e)
  (memory (export "memory") 1)

  (func $thrower (param $n i32)
    (if (i32.and (local.get $n) (i32.const 1))
      (then (throw $e))))

  (func (export "run") (param $n i32) (result i32)
    try $outer (result i32)
      try $paused (result i32)
        try
          (call $thrower (local.get $n))
        delegate $outer
        (i32.and (call $sleep_i32 (local.get $n)) (i32.const 0xff))
      catch_all
        (call $log (i32.const 1))
        (i32.const 1)
      end
    catch_all
      (call $log (i32.const 2))
      (i32.const 2)
    end)
)

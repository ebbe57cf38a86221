;; Reference-typed locals that are never live across a pause: the function still transforms
;; (nothing to save for them) and runs.
;;
;; `$work(n)` uses a funcref local `$f` (read from the table and tested before the pause, set
;; again after it) and a second one `$g` (null, tested after the pause), around two pauses.
;; (Only funcref: the harness's wasmtime engine has no GC support, which externref needs.)
;;
;; Async imports: env.sleep_i32. Logging: env.log_i32.
;; Entry point: `run(n: i32) -> i32`.
(module
  (import "env" "sleep_i32" (func $sleep_i32 (param i32) (result i32)))
  (import "env" "log_i32" (func $log (param i32)))
  (table 2 funcref)
  (elem (i32.const 0) $work)
  (memory (export "memory") 1)

  (func $work (param $n i32) (result i32)
    (local $f funcref) (local $g funcref) (local $x i32)
    (local.set $f (table.get (i32.and (local.get $n) (i32.const 1))))
    (call $log (ref.is_null (local.get $f)))
    (local.set $x (call $sleep_i32 (local.get $n)))
    (local.set $f (table.get (i32.const 0)))
    (local.set $g (ref.null func))
    (call $log (i32.add (ref.is_null (local.get $f)) (i32.mul (ref.is_null (local.get $g)) (i32.const 2))))
    (local.set $x (i32.add (local.get $x) (call $sleep_i32 (i32.add (local.get $n) (i32.const 1)))))
    (local.get $x))

  (func (export "run") (param $n i32) (result i32)
    (i32.add (call $work (local.get $n)) (call $work (i32.add (local.get $n) (i32.const 1)))))
)

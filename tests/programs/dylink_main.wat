;; The main module of a dynamically linked pair: imports the shared memory and `side.work`
;; (dylink_side.wat), which pauses.
;;
;; Async imports: side.work (for the transform). Logging: env.log.
;; Entry point: `run(n: i32) -> i32`.
(module
  (import "env" "memory" (memory 1))
  (import "side" "work" (func $work (param i32) (result i32)))
  (import "env" "log" (func $log (param i32)))
  (func (export "run") (param $n i32) (result i32)
    (local $i i32) (local $s i32)
    (loop $l
      (local.set $s (i32.add (local.get $s) (call $work (i32.add (local.get $n) (local.get $i)))))
      (call $log (local.get $s))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (i32.const 2))))
    (local.get $s))
)

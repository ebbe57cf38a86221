;; Tail calls of every kind to functions that pause: `$by_call` pauses and `return_call`s
;; `$by_indirect`, which pauses and `return_call_indirect`s `$by_ref`, which pauses and
;; `return_call_ref`s `$by_call`, n times around. At the end a `return_call` to `$count`,
;; which cannot pause and stays a tail call (and tail-calls itself).
;;
;; Async imports: env.sleep. Logging: env.log.
;; Entry point: `run(n: i32) -> i32`.
(module
  (import "env" "sleep" (func $sleep (param i32) (result i32)))
  (import "env" "log" (func $log (param i32)))
  (type $ft (func (param i32 i32) (result i32)))
  (table 2 funcref)
  (elem (i32.const 0) $by_call $by_ref)
  (elem declare func $by_call)
  (memory (export "memory") 1)

  (func $count (type $ft)
    (if (result i32) (i32.eqz (local.get 0))
      (then (local.get 1))
      (else (return_call $count (i32.sub (local.get 0) (i32.const 1))
                                (i32.add (local.get 1) (local.get 0))))))

  (func $by_call (type $ft)
    (local $v i32)
    (if (i32.eqz (local.get 0))
      (then (return_call $count (i32.and (local.get 1) (i32.const 15)) (local.get 1))))
    (local.set $v (call $sleep (local.get 0)))
    (call $log (local.get $v))
    (return_call $by_indirect (i32.sub (local.get 0) (i32.const 1))
                              (i32.add (local.get 1) (i32.and (local.get $v) (i32.const 255)))))

  (func $by_indirect (type $ft)
    (local $v i32)
    (if (i32.eqz (local.get 0))
      (then (return_call $count (i32.and (local.get 1) (i32.const 15)) (local.get 1))))
    (local.set $v (call $sleep (i32.add (local.get 0) (i32.const 100))))
    (call $log (local.get $v))
    (return_call_indirect (type $ft)
      (i32.sub (local.get 0) (i32.const 1))
      (i32.add (local.get 1) (i32.and (local.get $v) (i32.const 255)))
      (i32.const 1)))

  (func $by_ref (type $ft)
    (local $v i32)
    (if (i32.eqz (local.get 0))
      (then (return_call $count (i32.and (local.get 1) (i32.const 15)) (local.get 1))))
    (local.set $v (call $sleep (i32.add (local.get 0) (i32.const 200))))
    (call $log (local.get $v))
    (return_call_ref $ft
      (i32.sub (local.get 0) (i32.const 1))
      (i32.add (local.get 1) (i32.and (local.get $v) (i32.const 255)))
      (ref.func $by_call)))

  (func (export "run") (param $n i32) (result i32)
    (call $by_call (local.get $n) (i32.const 0)))
)

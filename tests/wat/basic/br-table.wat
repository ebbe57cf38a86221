;; `br_table` dispatching to blocks, one of which pauses. The `br_table` itself is ordinary
;; code in a normal-mode guard; while rewinding the guard is skipped and execution reaches
;; the paused call through the glue around the nested blocks.
;; RUN: % --imports env.sleep -t
(module
  (import "env" "sleep" (func $sleep))
  (import "env" "log" (func $log (param i32)))
  (memory 1)
  (func $f (export "f") (param $k i32)
    (block $done
      (block $two
        (block $one
          (block $zero
            (br_table $zero $one $two (local.get $k)))
          (call $log (i32.const 0))
          (br $done))
        (call $sleep)
        (call $log (i32.const 1))
        (br $done))
      (call $log (i32.const 2)))))

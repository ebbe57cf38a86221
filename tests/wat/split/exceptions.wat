;; -O3 with exception handlers: where a caught exception lands, the rewind copy recomputes
;; `$resume` from the state; the normal copy never rewinds, so the reset and the local it
;; reads (`rewind_to`) are gone. With a legacy `try ... delegate` (raw label depths) blocks
;; are folded but not inlined.
;; RUN: % --imports env.sleep -O3 -t
(module
  (import "env" "sleep" (func $sleep))
  (import "env" "may_throw" (func $may_throw (param i32)))
  (tag $e (param i32))
  (func $table (export "table") (param $x i32) (result i32)
    (block $caught (result i32)
      (try_table (catch $e $caught)
        (call $sleep)
        (call $may_throw (local.get $x)))
      (i32.const 0))
    (call $sleep)
    (local.get $x)
    i32.add)
  (func $legacy (export "legacy") (param $x i32)
    try $outer
      block
        try
          (call $may_throw (local.get $x))
        delegate $outer
        call $sleep
      end
      call $sleep
    catch $e
      call $may_throw
    end
    call $sleep))

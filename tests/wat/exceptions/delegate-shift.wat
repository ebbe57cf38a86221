;; A legacy `delegate` whose target lies outside the code the instrumentation wraps in a
;; guard: the innermost `try` delegates to `$outer`, skipping `$paused`'s handler (so
;; `env.throw_it` throwing logs 2, not 1). `$paused` contains a pause, so the inner `try`
;; ends up inside a new `if` guard in `$paused`'s body: `delegate 1` must become `delegate 2`
;; and still name `$outer` (shown as `(;@3;)`). (Run in node by features.rs,
;; `legacy_delegate_past_a_pausing_try`.)
;; RUN: % --imports env.sleep -t
(module
  (import "env" "sleep" (func $sleep))
  (import "env" "log" (func $log (param i32)))
  (import "env" "throw_it" (func $throw_it))
  (memory 1)
  (func $main (export "main")
    try $outer
      try $paused
        try
          call $throw_it
        delegate $outer
        call $sleep
      catch_all
        (call $log (i32.const 1))
      end
    catch_all
      (call $log (i32.const 2))
    end))

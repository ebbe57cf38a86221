;; `--verbose` explains every decision, one line per decision, sorted so the output is the
;; same on every run, and ends with a count. The chain is main -> outer -> inner -> env.sleep;
;; `$both` reaches the import directly and through `$inner` (one reason is reported);
;; `$pure` and `env.log` cannot pause (`$pure` is not mentioned).
;; RUN: % --imports env.sleep --verbose -o %t
(module
  (import "env" "sleep" (func $sleep))
  (import "env" "log" (func $log))
  (memory 1)
  (func $inner (call $sleep))
  (func $outer (call $inner) (call $log))
  (func $both (call $sleep) (call $inner))
  (func $pure (result i32) (i32.const 1))
  (func $main (export "main")
    (call $outer)
    (call $both)
    (drop (call $pure))))

;; The output is the same on every run. Here two instrumented functions need function types
;; the input lacks (`[] -> [i32 i32]` and `[] -> [i64 i64]`, the types of their bodies) and
;; these are appended in the same order every time (an earlier version appended them in
;; hash-set order, which changed from run to run). The three identical runs must give
;; identical outputs.
;; RUN: % --imports env.sleep -t
;; RUN: % --imports env.sleep -t
;; RUN: % --imports env.sleep -t
(module
  (import "env" "sleep" (func $sleep))
  (memory 1)
  (func $a (export "a") (param i32) (result i32 i32)
    (call $sleep) (local.get 0) (local.get 0))
  (func $b (export "b") (param i32) (result i64 i64)
    (call $sleep) (i64.const 1) (i64.const 2)))

;; Bodies the analysis cannot need are not parsed into IR (`analysis::prescan`), so walrus
;; never validates `$broken` here. Its type error must still be reported as what it is, an
;; invalid input (not as invalid output, a bug in asyncify), with every flag set: run 1 skips
;; the body, run 2 (`--asserts`, which reads every body) does not.
;; RUN: % --imports env.sleep -o %t
;; RUN: % --imports env.sleep --asserts -o %t
(module
  (import "env" "sleep" (func $sleep))
  (memory 1)
  (func $broken (export "broken") (result i32)
    (i32.add (f32.const 1) (i32.const 2)))
  (func $main (export "main")
    (call $sleep)))

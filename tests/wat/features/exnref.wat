;; A C++-style cleanup: the exception caught with `catch_all_ref` is live across a pause in
;; the cleanup, as an exnref: saved in a table of exnrefs, rethrown after the resume.
;; RUN: % --imports env.sleep -t
(module
  (import "env" "sleep" (func $sleep))
  (import "env" "may_throw" (func $may_throw))
  (memory 1)
  (func $main (export "main")
    (local $exn exnref)
    (block $h (result exnref)
      (try_table (catch_all_ref $h)
        (call $may_throw))
      (return))
    (local.set $exn)
    (call $sleep)
    (throw_ref (local.get $exn))))

;; A relocatable object file (what `clang -c` writes: it has a `linking` custom section and
;; relocations against code offsets) is refused; asyncify runs on the linked module.
;; RUN: % -o %t
(module
  (import "env" "sleep" (func $sleep))
  (memory 1)
  (func $main (export "main") (call $sleep))
  (@custom "linking" "\02"))

;; `--in-secondary-memory`: the data structure and stack live in a memory asyncify adds, of
;; `--secondary-memory-size` pages (initial and maximum, default 1), exported as
;; `asyncify_memory` so the host can set up the data structure there. Binaryen's spelling
;; works too. A size of 0 is refused; `--secondary-memory-size` alone is ignored with a
;; warning.
;; RUN: % --imports env.sleep --in-secondary-memory --secondary-memory-size 3 -t
;; RUN: % --imports env.sleep --pass-arg=asyncify-in-secondary-memory -o %t
;; RUN: % --imports env.sleep --in-secondary-memory --secondary-memory-size 0 -o %t
;; RUN: % --imports env.sleep --secondary-memory-size 2 -o %t
(module
  (import "env" "sleep" (func $sleep))
  (memory (export "memory") 1)
  (func $main (export "main") (param $x i32) (result i32)
    (call $sleep)
    (local.get $x)))

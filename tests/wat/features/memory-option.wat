;; Several memories. Without `--memory` the one exported as `memory` holds the asyncify data
;; (Binaryen's default); `--memory heap` (or `--pass-arg=asyncify-memory@heap`) picks the one
;; exported as `heap`, a memory64 here, so the pointers are i64; a name-section name works
;; too (`--memory stack`).
;; RUN: % --imports env.sleep -t
;; RUN: % --imports env.sleep --memory heap -t
;; RUN: % --imports env.sleep --pass-arg=asyncify-memory@heap -t
;; RUN: % --imports env.sleep --memory stack -t
(module
  (import "env" "sleep" (func $sleep))
  (memory $main (export "memory") 1)
  (memory $heap (export "heap") i64 1)
  (memory $stack 1)
  (func $main (export "main") (param $x i32) (result i32)
    (call $sleep)
    (local.get $x)))

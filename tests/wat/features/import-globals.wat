;; `--import-globals` (Binaryen's `asyncify-relocatable`, also `--relocatable`): the two
;; globals are imported from `env` after the module's own imports, so the module's globals
;; move up by two. Every use moves with them: code (also in functions asyncify does not
;; change, re-encoded), initializers, segment offsets, exports and global names.
;; RUN: % --imports env.sleep --import-globals -t
;; RUN: % --imports env.sleep --relocatable -o %t
;; RUN: % --imports env.sleep --pass-arg=asyncify-relocatable -o %t
(module
  (import "env" "sleep" (func $sleep))
  (import "env" "base" (global $base i32))
  (memory 1)
  (table 4 funcref)
  (global $offset i32 (global.get $base))
  (global $counter (export "counter") (mut i32) (i32.const 0))
  (elem (offset (global.get $offset)) func $untouched)
  (data (offset (global.get $offset)) "x")
  (func $untouched (result i32)
    (global.get $counter))
  (func $main (export "main") (result i32)
    (global.set $counter (i32.add (global.get $counter) (i32.const 1)))
    (call $sleep)
    (global.get $counter)))

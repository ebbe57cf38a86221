;; `--export-globals` exports the two globals under their names; with `--import-globals` too,
;; the imported globals are re-exported. An export with one of those names is refused.
;; RUN: % --imports env.sleep --export-globals -t
;; RUN: % --imports env.sleep --export-globals --import-globals -t
;; RUN: - --imports env.sleep --export-globals -o %t < %S/export-globals.clash.txt
(module
  (import "env" "sleep" (func $sleep))
  (memory 1)
  (func $main (export "main")
    (call $sleep)))

;; DWARF (`.debug_*` custom sections) describes code offsets, which move when functions are
;; instrumented: the sections are dropped with a warning naming them. Other custom sections
;; stay. When nothing is instrumented no code moves and the DWARF is kept (second run, with
;; `--ignore-imports`).
;; RUN: % --imports env.sleep -t
;; RUN: % --ignore-imports -t
(module
  (import "env" "sleep" (func $sleep))
  (memory 1)
  (func $main (export "main") (call $sleep))
  (@custom ".debug_info" "\00\01\02\03")
  (@custom ".debug_line" "\04\05")
  (@custom "producers" "\00"))

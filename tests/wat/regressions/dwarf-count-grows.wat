;; PENDING: bug: DWARF is kept although the code section's function count grew a byte
;; Nothing is instrumented (`--ignore-imports`), so the writer keeps `.debug_info`
;; ("no code moved"). But the five API functions are appended: the code section's count goes
;; from 123 to 128, its LEB128 grows from one byte to two, and every function body moves one
;; byte further from the start of the code section's payload, which is what DWARF addresses
;; in wasm are relative to. The DWARF now points one byte off everywhere.
;; Expected: dropped with the usual warning (or kept only when the count's width is
;; unchanged). Cause: `changed_code` in src/emit/writer.rs only looks at rewritten bodies and
;; at removed imports, not at the count of appended functions.
;; RUN: % --ignore-imports -o %t
(module
  (import "env" "sleep" (func $sleep))
  (memory 1)
  (func) (func) (func) (func) (func) (func) (func) (func) (func) (func)
  (func) (func) (func) (func) (func) (func) (func) (func) (func) (func)
  (func) (func) (func) (func) (func) (func) (func) (func) (func) (func)
  (func) (func) (func) (func) (func) (func) (func) (func) (func) (func)
  (func) (func) (func) (func) (func) (func) (func) (func) (func) (func)
  (func) (func) (func) (func) (func) (func) (func) (func) (func) (func)
  (func) (func) (func) (func) (func) (func) (func) (func) (func) (func)
  (func) (func) (func) (func) (func) (func) (func) (func) (func) (func)
  (func) (func) (func) (func) (func) (func) (func) (func) (func) (func)
  (func) (func) (func) (func) (func) (func) (func) (func) (func) (func)
  (func) (func) (func) (func) (func) (func) (func) (func) (func) (func)
  (func) (func) (func) (func) (func) (func) (func) (func) (func) (func)
  (func) (func) (func)
  (@custom ".debug_info" "\00\01"))

;; Regression: DWARF was kept although the code section's function count grew a byte.
;; Nothing is instrumented (`--ignore-imports`), but the five API functions are appended: the
;; code section's count goes from 123 to 128, its LEB128 from one byte to two, and every body
;; moves one byte further from the start of the code section's contents, which DWARF
;; addresses in wasm are relative to. The writer now drops DWARF (with its warning) then too.
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

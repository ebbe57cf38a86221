;; Input that is not a module: WAT with a mistake (errors point at file:line:column), bytes
;; that are neither a binary module nor text, and the same on standard input.
;; RUN: %
;; RUN: % -t -o %t
;; RUN: %S/bad-input.bin
;; RUN: - < %S/bad-input.bin
(module
  (func (export "run")
    i32.bogus))

;; An input file that does not exist.
;; RUN: %S/does-not-exist.wasm
;; RUN: %S/does-not-exist.wasm -o %t
(module)

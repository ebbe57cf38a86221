;; `-o` naming something that cannot be written: nothing is created, the error says why.
;; RUN: % -o %S
;; RUN: % -o %S/no-such-directory/out.wasm
(module)

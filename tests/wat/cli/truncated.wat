;; A binary module cut off in the middle of a section.
;; RUN: %S/truncated.wasm
;; RUN: %S/truncated.wasm -t -o %t
(module)

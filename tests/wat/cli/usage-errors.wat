;; Command lines asyncify refuses (exit status 2): unknown flags, wasm-opt passes, bad levels.
;; RUN: % --frobnicate
;; RUN: % --ignore-indirects
;; RUN: % --strip-debug
;; RUN: % --inlining -O
;; RUN: % --optimize-level=3
;; RUN: % -O5
;; RUN:
;; RUN: % extra.wasm
(module)

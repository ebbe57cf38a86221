;; The help text, so that a change to any flag (or a flag without documentation) shows up here.
;; RUN: --help
;; RUN: -h
(module)

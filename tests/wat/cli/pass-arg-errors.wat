;; wasm-opt `--pass-arg`s that asyncify refuses (exit status 2).
;; RUN: % --pass-arg=asyncify-foo
;; RUN: % --pass-arg=asyncify-import@env.sleep
;; RUN: % --pass-arg asyncify-imports
;; RUN: % -pa asyncify-onlylist@
;; RUN: % --pass-arg
;; RUN: % --pass-arg=asyncify-memory
;; RUN: % --pass-arg=asyncify-secondary-memory-size@
;; RUN: % --pass-arg=asyncify-secondary-memory-size@two
(module)

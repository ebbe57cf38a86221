;; The function lists, on the chain main -> mid -> leaf -> env.sleep, plus `$quiet`, which
;; cannot pause and is called by `$caller`.
;;  1. no list: leaf, mid and main are instrumented;
;;  2. `--add-list quiet`: quiet is instrumented too, but its caller is not;
;;  3. `--add-list quiet --propagate-add-list`: its caller `$caller` is instrumented as well;
;;  4. `--remove-list mid`: mid is not instrumented and propagation stops there (main is not
;;     instrumented either; leaf still is);
;;  5. `--only-list main,leaf`: exactly those two, whatever the analysis says;
;;  6. the old names `--blacklist` / `--whitelist` and Binaryen's `asyncify-removelist@`.
;; RUN: % --imports env.sleep --verbose -o %t
;; RUN: % --imports env.sleep --add-list quiet --verbose -o %t
;; RUN: % --imports env.sleep --add-list quiet --propagate-add-list --verbose -o %t
;; RUN: % --imports env.sleep --remove-list mid --verbose -o %t
;; RUN: % --imports env.sleep --only-list main,leaf --verbose -o %t
;; RUN: % --imports env.sleep --blacklist mid --verbose -o %t
;; RUN: % --imports env.sleep --whitelist main,leaf --verbose -o %t
;; RUN: % --asyncify --pass-arg=asyncify-imports@env.sleep --pass-arg=asyncify-removelist@mid --verbose -o %t
(module
  (import "env" "sleep" (func $sleep))
  (memory 1)
  (func $leaf (call $sleep))
  (func $mid (call $leaf))
  (func $main (export "main") (call $mid))
  (func $quiet (nop))
  (func $caller (export "caller") (call $quiet)))

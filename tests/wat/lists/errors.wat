;; Lists that contradict themselves or name the wrong kind of thing are errors (exit status
;; 1, nothing written):
;;  1. the only-list together with another function list;
;;  2. the same function in the add-list and the remove-list (also through wildcards);
;;  3. a function list naming an import (imports are chosen with `--imports`);
;;  4. `--imports` naming a defined function (meant for `--add-list`).
;; RUN: % --imports env.sleep --only-list main --add-list helper -o %t
;; RUN: % --imports env.sleep --only-list main --remove-list helper -o %t
;; RUN: % --imports env.sleep --add-list helper --remove-list helper -o %t
;; RUN: % --imports env.sleep --add-list help* --remove-list *per -o %t
;; RUN: % --imports env.sleep --remove-list sleep -o %t
;; RUN: % --imports helper -o %t
(module
  (import "env" "sleep" (func $sleep))
  (memory 1)
  (func $helper (call $sleep))
  (func $main (export "main") (call $helper)))

;; Hints for list entries that name the wrong thing:
;;  1. a function list entry that is an export name, not the function's name (a warning
;;     naming the function), and one that is close to a function name;
;;  2. a function list naming an import by `module.base` (an error: imports are chosen with
;;     `--imports`);
;;  3. `--imports` naming an import without its module (a warning suggesting it).
;; RUN: % --imports env.sleep --add-list _start --remove-list helpr -o %t
;; RUN: % --imports env.sleep --remove-list env.sleep -o %t
;; RUN: % --imports sleep -o %t
(module
  (import "env" "sleep" (func $sleep))
  (memory 1)
  (func $helper (call $sleep))
  (func $main (export "_start") (call $helper)))

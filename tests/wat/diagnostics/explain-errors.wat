;; Mistakes with `--explain` and `--report` are errors (exit status 1, nothing written):
;;  1. a name that is no function, import or export (with the closest name);
;;  2. `--explain` and a text module both on standard output;
;;  3. `--explain` and `--report -` both on standard output;
;;  4. `--report -` and a text module both on standard output;
;;  5. a report that cannot be written: the module is not written either.
;; RUN: % --imports env.sleep --explain man
;; RUN: % --imports env.sleep --explain main -t
;; RUN: % --imports env.sleep --explain main --report -
;; RUN: % --imports env.sleep --report - -t
;; RUN: % --imports env.sleep --report %S/no-such-directory/report.json -o %t
(module
  (import "env" "sleep" (func $sleep))
  (memory 1)
  (func $main (export "main") (call $sleep)))

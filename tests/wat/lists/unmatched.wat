;; List entries that match nothing get a warning (the transform still runs), with the
;; closest existing name as a suggestion when there is one: a misspelled import, an import
;; given without its module (`sleep`: suggested by suffix), a misspelled
;; function in each function list, a wildcard that matches nothing, and a name with no close
;; match. Imports are suggested from the imports, functions from the defined functions.
;; RUN: % --imports env.slep,sleep,env.read_*,env.sleep --add-list man --remove-list helpr,zzzzzzzz --verbose -o %t
;; RUN: % --imports env.sleep --only-list main,helper_,nothing* -o %t
(module
  (import "env" "sleep" (func $sleep))
  (memory 1)
  (func $helper (call $sleep))
  (func $main (export "main") (call $helper)))

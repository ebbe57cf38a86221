;; Functions without a name in the name section are named by their index (imports count):
;; here the import is function 0, the defined functions are 1, 2 and 3. Lists name them by
;; that index, and `--verbose` reports them by it.
;; RUN: % --verbose -o %t
;; RUN: % --remove-list 2 --verbose -o %t
;; RUN: % --only-list 3 --verbose -o %t
(module
  (import "env" "sleep" (func))
  (memory 1)
  (func (call 0))
  (func (call 1))
  (func (export "main") (call 2)))

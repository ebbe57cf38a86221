;; A legacy `try` whose block type names a struct type is invalid. walrus looks the type up
;; as a function type before validating and panicked (found by fuzz `hostile_input`); modules
;; with struct or array types are now validated before walrus sees them.
;; RUN: % -o %t
(module
  (type $s (struct))
  (func (export "f")
    try (type $s)
    catch_all
    end))

;; A component (the component model's binary, written here as text) is refused with a message
;; that says so: asyncify transforms the core modules, before a component is built around
;; them. A bare component header was once read as an empty core module and written back.
;; RUN: % -O -o %t
(component
  (core module
    (import "env" "sleep" (func $sleep))
    (func (export "main") (call $sleep))))

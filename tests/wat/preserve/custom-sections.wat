;; Custom sections stay where they were, with the same contents: one before the type
;; section, one right after the function section, one at the end. (wasmprinter prints the
;; middle one as `(after import)` because it does not print a function section; its exact
;; place is checked in features.rs, `custom_sections_keep_their_place`.)
;; RUN: % --imports env.sleep -t
(module
  (@custom "first" (before first) "at the start")
  (@custom "middle" (after func) "between function and code")
  (@custom "last" (after last) "at the end")
  (import "env" "sleep" (func $sleep))
  (memory 1)
  (func $main (export "main") (call $sleep)))

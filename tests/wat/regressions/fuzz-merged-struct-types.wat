;; Regression: the refusal for a type walrus merges with a distinct one (see
;; rec-group-type-merged.wat) panicked inside walrus when the type was a struct ("expected a
;; function type"): the message printed every type as a function signature. Found by the
;; `validates` fuzz target. Now the refusal names the kind of type.
;; RUN: % --imports env.sleep -o %t
(module
  (rec (type $a (struct (field i32))) (type $f (func)))
  (type $b (struct (field i32)))
  (import "env" "sleep" (func $sleep))
  (memory 1)
  (func (export "run") (result i32)
    call $sleep
    struct.new_default $b
    struct.get $b 0))

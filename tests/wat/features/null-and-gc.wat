;; A `nullref` local needs no slot (it is always null: restored as `ref.null none`, nothing in
;; the frame); a struct reference gets a table of its type.
;; RUN: % --imports env.sleep -t
(module
  (import "env" "sleep" (func $sleep))
  (type $s (struct (field i32)))
  (memory 1)
  (func $main (export "main") (param $x (ref null $s)) (result i32)
    (local $none nullref)
    (call $sleep)
    (i32.add (ref.is_null (local.get $none)) (struct.get $s 0 (local.get $x)))))

;; Regression: a block whose parameter is declared as a supertype of the value pushed for it
;; (`(ref $t)` in, `structref` declared) gave an invalid module when the block pauses: the
;; value went through one local typed after the value outside (`(ref null $t)`), and the
;; block's `local.set` of its `structref` parameter into that local did not validate.
;; Found twice by the `validates` fuzz target (wasm-smith with GC; also as `nullexternref`
;; into `externref`, the second function). Parameters whose declared type
;; differs now move into locals of the declared type inside the block. The same held for
;; results (third function, found by `hostile_input`): a block's results left in locals of a
;; subtype were stored back into them from the block's declared supertype.
;; RUN: % --imports env.sleep -t
;; RUN: % --imports env.sleep -O -t
(module
  (type $t (struct (field i32)))
  (import "env" "sleep" (func $sleep))
  (memory 1)
  (func (export "run") (result i32)
    struct.new_default $t
    block (param structref) (result i32)
      call $sleep
      ref.is_null
    end)
  (func (export "none") (result i32)
    ref.null noextern
    block (param externref) (result i32)
      call $sleep
      ref.is_null
    end)
  (func (export "result") (result i32)
    block (result structref)
      struct.new_default $t
      call $sleep
    end
    ref.is_null))

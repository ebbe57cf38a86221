;; -O3: the function becomes a copy specialized to normal execution, and `$f$rewind` (the
;; instrumented code as -O gives it) is entered only while rewinding. In `$f` every test of
;; `$resume` is folded: guarded runs are inlined, the `if` whose both arms pause keeps only its
;; condition (`c | resume` is `c`), a spill next to its reload becomes a `local.tee`, and the
;; prologue hands a rewind over to `$f$rewind` with the parameters.
;; RUN: % --imports env.sleep -O3 -t --verbose
;; The report names the copy, and so does --explain.
;; RUN: % --imports env.sleep -O3 --report - -o %t
;; RUN: % --imports env.sleep -O3 --explain f -o %t
;; `--split none` keeps -O3 from splitting (the output is -O's); `--split` without -O is refused;
;; `--split huge` leaves `f`, far below 12,000 instructions, whole.
;; RUN: % --imports env.sleep -O3 --split none --verbose -o %t
;; RUN: % --imports env.sleep --split huge -o %t
;; RUN: % --imports env.sleep -O --split huge --verbose -o %t
(module
  (import "env" "sleep" (func $sleep (param i32) (result i32)))
  (import "env" "log" (func $log (param i32)))
  (memory 1)
  (func $f (export "f") (param $x i32) (result i32)
    (call $log (local.get $x))
    (if (result i32) (local.get $x)
      (then (call $sleep (i32.const 1)))
      (else (i32.add (call $sleep (i32.const 2)) (local.get $x))))
    (call $sleep)
    (i32.add (local.get $x))))

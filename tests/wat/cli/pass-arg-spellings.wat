;; wasm-opt's spellings of the options give the same result as ours: only `run` (calls the
;; pausing import) and `helper` (in the add-list) are instrumented; `other`'s indirect call is
;; ignored and `print` cannot pause.
;; RUN: % -t --imports env.sleep --ignore-indirect --add-list helper
;; RUN: % -t --asyncify --pass-arg=asyncify-imports@env.sleep --pass-arg=asyncify-ignore-indirect --pass-arg=asyncify-addlist@helper
;; RUN: % -t --pass-arg asyncify-imports@@%S/pass-arg-spellings.imports.txt -pa asyncify-ignore-indirect -pa asyncify-addlist@helper
;; RUN: % -t -all --enable-simd --detect-features -g --imports=env.sleep --ignore-indirect --addlist=helper
(module
  (import "env" "sleep" (func $sleep (param i32)))
  (import "env" "print" (func $print (param i32)))
  (table 1 funcref)
  (func $helper (export "helper")
    (call_indirect (i32.const 0)))
  (func $other (export "other")
    (call_indirect (i32.const 0)))
  (func $quiet (export "quiet")
    (call $print (i32.const 0)))
  (func $run (export "run")
    (call $print (i32.const 1))
    (call $sleep (i32.const 100))
    (call $print (i32.const 2))))

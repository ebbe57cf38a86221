;; Which imports can pause, and so which functions are instrumented (`--verbose` shows the
;; decisions; the module goes to a scratch file). `$main` calls one helper per import.
;;  1. an exact name;
;;  2. a `*` wildcard in the middle of the module and the base name (`e*.read_*`);
;;  3. the flag given twice;
;;  4. a comma-separated list;
;;  5. an `@file` response file beside this fixture (one entry per line, with blank lines);
;;  6. Binaryen's spelling, `--asyncify --pass-arg=asyncify-imports@LIST`;
;;  7. Binaryen's `asyncify-imports@@FILE`, which reads the list from a file;
;;  8. no list: every import can pause;
;;  9. `--ignore-imports`: no import can pause, nothing is instrumented.
;; RUN: % --imports env.sleep --verbose -o %t
;; RUN: % --imports e*.read_* --verbose -o %t
;; RUN: % --imports env.sleep --imports wasi.fd_read --verbose -o %t
;; RUN: % --imports env.sleep,env.read_b --verbose -o %t
;; RUN: % --imports @%S/imports.list --verbose -o %t
;; RUN: % --asyncify --pass-arg=asyncify-imports@env.sleep,wasi.fd_read --verbose -o %t
;; RUN: % --asyncify --pass-arg=asyncify-imports@@%S/imports.list --verbose -o %t
;; RUN: % --verbose -o %t
;; RUN: % --ignore-imports --verbose -o %t
(module
  (import "env" "sleep" (func $sleep))
  (import "env" "read_a" (func $read_a))
  (import "env" "read_b" (func $read_b))
  (import "env" "log" (func $log))
  (import "wasi" "fd_read" (func $fd_read))
  (memory 1)
  (func $calls_sleep (call $sleep))
  (func $calls_read_a (call $read_a))
  (func $calls_read_b (call $read_b))
  (func $calls_log (call $log))
  (func $calls_fd_read (call $fd_read))
  (func $main (export "main")
    (call $calls_sleep)
    (call $calls_read_a)
    (call $calls_read_b)
    (call $calls_log)
    (call $calls_fd_read)))

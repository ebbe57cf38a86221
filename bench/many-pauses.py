#!/usr/bin/env python3
"""Print a WAT module whose one function pauses N times with M locals live throughout.

    python3 bench/many-pauses.py N M > many.wat

Used to compare how engines compile very large instrumented functions (see the book's
performance page, "Huge instrumented functions in Cranelift").
"""
import sys

n, m = int(sys.argv[1]), int(sys.argv[2])
lines = [
    '(module',
    '  (import "env" "sleep" (func $sleep (param i32) (result i32)))',
    '  (memory 1)',
    '  (func (export "run") (param $p i32) (result i32)',
    '    (local ' + ' '.join(['i32'] * m) + ')',
]
for j in range(m):
    lines.append(f'    (local.set {j + 1} (i32.add (local.get 0) (i32.const {j})))')
for i in range(n):
    a, b = 1 + i % m, 1 + (i * 7 + 3) % m
    lines.append(f'    (local.set {a} (i32.add (local.get {b}) (call $sleep (local.get {a}))))')
result = '(local.get 1)'
for j in range(2, m + 1):
    result = f'(i32.xor {result} (local.get {j}))'
lines.append('    ' + result + '))')
print('\n'.join(lines))

// The quickjs runtime workload: calls, objects, sorting, maps, strings, regular expressions,
// JSON and classes. The completion value (the last line) is a checksum that must be the same
// for every variant of the module.
function fib(n) {
  return n < 2 ? n : fib(n - 1) + fib(n - 2);
}
const calls = fib(24);

const items = [];
for (let i = 0; i < 30000; i++) {
  items.push({ id: i, name: 'item' + ((i * 7919) % 1000), value: (i * 104729) % 997 });
}
items.sort((a, b) => a.value - b.value || a.id - b.id);
const groups = new Map();
for (const item of items) groups.set(item.name, (groups.get(item.name) || 0) + item.value);
let hash = 0;
for (const [name, total] of groups) hash = (hash * 31 + total + name.length) % 1000000007;

let text = '';
for (let i = 0; i < 6000; i++) text += 'word' + i + (i % 7 ? ' ' : '\n');
const odd = text.split(/\s+/).filter((w) => /[13579]$/.test(w));
const json = JSON.stringify(items.slice(0, 2000));
const back = JSON.parse(json);

class Vec {
  constructor(x, y) {
    this.x = x;
    this.y = y;
  }
  add(o) {
    return new Vec(this.x + o.x, this.y + o.y);
  }
}
let v = new Vec(0, 0);
for (let i = 0; i < 60000; i++) v = v.add(new Vec(i % 3, i % 5));

[calls, hash, odd.length, back.length, json.length, v.x, v.y].join(',');

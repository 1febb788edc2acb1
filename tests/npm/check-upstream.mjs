// check-upstream.mjs DIR EXPR... — checks on what the scripted upstream received (the files
// pm-sim-upstream --record writes). Each EXPR is a JS expression over `q`, the requests in
// arrival order ({path, headers, body}), that must be true.
import { readdirSync, readFileSync } from 'node:fs';
import assert from 'node:assert/strict';

const dir = process.argv[2];
const q = readdirSync(dir)
  .filter((f) => /^request-\d+\.json$/.test(f))
  .sort((a, b) => parseInt(a.slice(8)) - parseInt(b.slice(8)))
  .map((f) => JSON.parse(readFileSync(`${dir}/${f}`, 'utf8')));
assert.ok(q.length > 0, 'the upstream received requests');
for (const x of q)
  assert.ok(!JSON.stringify(x).includes('pointsman-local'), 'the client\'s placeholder key never reaches the upstream');
for (const expr of process.argv.slice(3)) {
  const ok = new Function('q', `return (${expr});`)(q);
  assert.ok(ok, `${expr}\nupstream requests: ${JSON.stringify(q.map((x) => ({ path: x.path, keys: Object.keys(x.body ?? {}) })))}`);
}
console.log(`# ${q.length} upstream requests checked`);

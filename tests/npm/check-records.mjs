// check-records.mjs FILE EXPR... — checks on Pointsman's /pointsman/v1/requests output.
// Every record must carry the decision, the usage and the cost; each EXPR is a JS expression
// over `r` (the records, newest first) that must be true.
import { readFileSync } from 'node:fs';
import assert from 'node:assert/strict';

const json = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const r = Array.isArray(json) ? json : (json.requests ?? json.records ?? json.items ?? []);
assert.ok(Array.isArray(r), 'records are an array');
for (const x of r) {
  if (x.state !== 'done')
    continue;
  assert.ok(typeof x.model === 'string' && x.model.length > 0, `record ${x.id} has a model`);
  assert.ok(x.explanation !== undefined && x.explanation !== null, `record ${x.id} has its decision`);
  assert.ok(x.usage && x.usage.seen === true && x.usage.output > 0, `record ${x.id} has usage`);
  assert.ok(typeof x.cost === 'number' && x.cost >= 0, `record ${x.id} has a cost`);
}
assert.ok(r.some(x => x.state === 'done'), 'at least one request completed');
for (const expr of process.argv.slice(3)) {
  const ok = new Function('r', `return (${expr});`)(r);
  assert.ok(ok, `${expr}\nrecords: ${JSON.stringify(r.map(x => ({ state: x.state, model: x.model, agent: x.agent, kind: x.kind, api: x.api, provider: x.provider, session: x.session })))}`);
}
console.log(`# ${r.length} records checked`);

// check-records.mjs FILE EXPR... — checks on Pointsman's /pointsman/v1/requests output.
// Every record must carry the decision, the usage and the cost; each EXPR is a JS expression
// over `r` (the records, newest first) that must be true.
import { readFileSync } from 'node:fs';
import assert from 'node:assert/strict';

const json = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const r = Array.isArray(json) ? json : (json.requests ?? json.records ?? json.items ?? []);
assert.ok(Array.isArray(r), 'records are an array');
for (const x of r) {
  if (x.state !== undefined && x.state !== 'done' && x.state !== 'error')
    continue;
  assert.ok(typeof x.model === 'string' && x.model.length > 0, `record ${x.id} has a model`);
  assert.ok(x.decision !== undefined && x.decision !== null, `record ${x.id} has its decision`);
  assert.ok(x.usage !== undefined && x.usage !== null, `record ${x.id} has usage`);
  assert.ok(typeof x.cost === 'number', `record ${x.id} has a cost`);
}
for (const expr of process.argv.slice(3)) {
  const ok = new Function('r', `return (${expr});`)(r);
  assert.ok(ok, `${expr}\nrecords: ${JSON.stringify(r.map(x => ({ model: x.model, agent: x.agent, client_api: x.client_api, upstream_api: x.upstream_api, provider: x.provider, session_id: x.session_id })))}`);
}
console.log(`# ${r.length} records checked`);

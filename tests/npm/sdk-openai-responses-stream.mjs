// The official OpenAI SDK, Responses streaming with a function call, through Pointsman.
import OpenAI from 'openai';
import assert from 'node:assert/strict';

const client = new OpenAI({ baseURL: process.env.POINTSMAN_URL + '/v1', apiKey: 'pointsman-local', maxRetries: 0 });
const stream = client.responses.stream({
  model: process.env.PM_MODEL,
  instructions: 'You are a test agent.',
  input: 'List the files, please.',
  store: false,
  tools: [{
    type: 'function',
    name: process.env.PM_EXPECT_TOOL,
    description: 'Run a shell command',
    strict: false,
    parameters: { type: 'object', properties: { command: { type: 'string' } }, required: ['command'] },
  }],
});
let deltas = '';
stream.on('response.output_text.delta', (e) => { deltas += e.delta; });
const response = await stream.finalResponse();
assert.equal(response.status, 'completed');
assert.equal(response.output_text, process.env.PM_EXPECT_TEXT);
assert.equal(deltas, process.env.PM_EXPECT_TEXT);
const calls = response.output.filter((i) => i.type === 'function_call');
assert.equal(calls.length, 1);
assert.equal(calls[0].name, process.env.PM_EXPECT_TOOL);
assert.deepEqual(JSON.parse(calls[0].arguments), JSON.parse(process.env.PM_EXPECT_ARGS));
assert.ok(response.usage && response.usage.input_tokens > 0 && response.usage.output_tokens > 0, 'usage');
console.log(JSON.stringify({ model: response.model, usage: response.usage }));

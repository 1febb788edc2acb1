// The official Anthropic SDK, streaming with a tool call, through Pointsman.
// Env: POINTSMAN_URL, PM_MODEL, PM_EXPECT_TEXT, PM_EXPECT_TOOL, PM_EXPECT_ARGS (JSON).
import Anthropic from '@anthropic-ai/sdk';
import assert from 'node:assert/strict';

const client = new Anthropic({ baseURL: process.env.POINTSMAN_URL, apiKey: 'pointsman-local', maxRetries: 0 });
const stream = client.messages.stream({
  model: process.env.PM_MODEL,
  max_tokens: 1024,
  system: 'You are a test agent.',
  tools: [{
    name: process.env.PM_EXPECT_TOOL,
    description: 'Run a shell command',
    input_schema: { type: 'object', properties: { command: { type: 'string' } }, required: ['command'] },
  }],
  messages: [{ role: 'user', content: 'List the files, please.' }],
});

const kinds = new Set();
stream.on('streamEvent', (event) => kinds.add(event.type));
const message = await stream.finalMessage();

const text = message.content.filter((b) => b.type === 'text').map((b) => b.text).join('');
const tools = message.content.filter((b) => b.type === 'tool_use');
assert.equal(text, process.env.PM_EXPECT_TEXT);
assert.equal(tools.length, 1);
assert.equal(tools[0].name, process.env.PM_EXPECT_TOOL);
assert.deepEqual(tools[0].input, JSON.parse(process.env.PM_EXPECT_ARGS));
assert.match(tools[0].id, /.+/);
assert.equal(message.stop_reason, 'tool_use');
for (const k of ['message_start', 'content_block_start', 'content_block_delta', 'content_block_stop', 'message_delta', 'message_stop'])
  assert.ok(kinds.has(k), `saw ${k}`);
assert.ok(message.usage.input_tokens + (message.usage.cache_read_input_tokens ?? 0) > 0, 'input usage');
assert.ok(message.usage.output_tokens > 0, 'output usage');
console.log(JSON.stringify({ model: message.model, usage: message.usage }));

// The official Anthropic SDK, a whole (non-streamed) message with a tool call, through Pointsman.
import Anthropic from '@anthropic-ai/sdk';
import assert from 'node:assert/strict';

const client = new Anthropic({ baseURL: process.env.POINTSMAN_URL, apiKey: 'pointsman-local', maxRetries: 0 });
const message = await client.messages.create({
  model: process.env.PM_MODEL,
  max_tokens: 1024,
  tools: [{
    name: process.env.PM_EXPECT_TOOL,
    description: 'Run a shell command',
    input_schema: { type: 'object', properties: { command: { type: 'string' } }, required: ['command'] },
  }],
  messages: [{ role: 'user', content: 'List the files, please.' }],
});
const text = message.content.filter((b) => b.type === 'text').map((b) => b.text).join('');
const tools = message.content.filter((b) => b.type === 'tool_use');
assert.equal(message.type, 'message');
assert.equal(text, process.env.PM_EXPECT_TEXT);
assert.equal(tools.length, 1);
assert.equal(tools[0].name, process.env.PM_EXPECT_TOOL);
assert.deepEqual(tools[0].input, JSON.parse(process.env.PM_EXPECT_ARGS));
assert.equal(message.stop_reason, 'tool_use');
assert.ok(message.usage.input_tokens > 0 && message.usage.output_tokens > 0, 'usage');

// A streamed request through the same gateway: whatever the gateway does with it, the client
// gets either a well-formed stream or an error in its own (Anthropic) shape.
try {
  const m = await client.messages.stream({
    model: process.env.PM_MODEL, max_tokens: 64, messages: [{ role: 'user', content: 'hi' }],
  }).finalMessage();
  assert.equal(m.type, 'message');
} catch (e) {
  assert.ok(e instanceof Anthropic.APIError, `an APIError, got ${e}`);
  assert.equal(e.error?.type, 'error');
  assert.match(e.error?.error?.type ?? '', /_error$/);
  console.log(`# streamed through the gateway: ${e.status} ${e.error?.error?.type}: ${e.error?.error?.message}`);
}
console.log(JSON.stringify({ model: message.model, usage: message.usage }));

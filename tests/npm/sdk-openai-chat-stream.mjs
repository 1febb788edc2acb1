// The official OpenAI SDK, Chat Completions streaming with a tool call, through Pointsman.
import OpenAI from 'openai';
import assert from 'node:assert/strict';

const client = new OpenAI({ baseURL: process.env.POINTSMAN_URL + '/v1', apiKey: 'pointsman-local', maxRetries: 0 });
const stream = client.chat.completions.stream({
  model: process.env.PM_MODEL,
  stream_options: { include_usage: true },
  messages: [{ role: 'system', content: 'You are a test agent.' }, { role: 'user', content: 'List the files, please.' }],
  tools: [{
    type: 'function',
    function: {
      name: process.env.PM_EXPECT_TOOL,
      description: 'Run a shell command',
      parameters: { type: 'object', properties: { command: { type: 'string' } }, required: ['command'] },
    },
  }],
});
const completion = await stream.finalChatCompletion();
const msg = completion.choices[0].message;
assert.equal(msg.content, process.env.PM_EXPECT_TEXT);
assert.equal(msg.tool_calls.length, 1);
assert.equal(msg.tool_calls[0].function.name, process.env.PM_EXPECT_TOOL);
assert.deepEqual(JSON.parse(msg.tool_calls[0].function.arguments), JSON.parse(process.env.PM_EXPECT_ARGS));
assert.equal(completion.choices[0].finish_reason, 'tool_calls');
assert.ok(completion.usage && completion.usage.prompt_tokens > 0 && completion.usage.completion_tokens > 0, 'usage');
console.log(JSON.stringify({ model: completion.model, usage: completion.usage }));

/**
 * Gemini 3's per-call thought signatures (`tool_calls[].extra_content.google.thought_signature`, which Gemini
 * requires back on the next turn) survive a Codex round trip: the Chat decoder folds them into the call id,
 * Codex (or any client) sends the id back, and the Chat builder puts the signature back on the call.
 * Gemini's stream shape here follows its OpenAI-compatible endpoint: a whole tool call in one delta,
 * without `index`.
 */
import assert from 'node:assert/strict';
import { ChatToResponsesStream, responsesToChatRequest } from '../../../src/gateway/translate';
import { chatToResponsesResponse } from '../../../src/gateway/translate/response';

const SIG = 'EjQKMgEMOdbHJChLX75QUCJjyYlm+/sig==';
const tools = [{ type: 'function', name: 'search_web', parameters: { type: 'object', properties: { query: { type: 'string' } } } }];
const request = { model: 'gemini', input: 'weather?', tools } as never;

function ctx() {
  const plan = responsesToChatRequest(request, { model: 'gemini-3-pro', provider: 'gemini', dropParams: true, dropParamNames: new Set(), stream: true });
  return { responseId: 'resp_1', alias: 'gemini', createdAt: 1, tools: plan.tools, request };
}

function nextTurn(callId: string, provider: string) {
  return responsesToChatRequest(
    {
      model: 'gemini',
      tools,
      input: [
        { role: 'user', content: 'weather?' },
        { type: 'function_call', call_id: callId, name: 'search_web', arguments: '{"query":"weather"}' },
        { type: 'function_call_output', call_id: callId, output: 'sunny' },
      ],
    } as never,
    { model: 'm', provider, dropParams: true, dropParamNames: new Set(), stream: false },
  ).body as any;
}

describe('Gemini thought signatures across a tool turn', () => {
  it('streamed: the signature rides in call_id and returns as extra_content on the same call', () => {
    const tr = new ChatToResponsesStream(ctx());
    const events = [
      ...tr.push({ choices: [{ index: 0, delta: { role: 'assistant', tool_calls: [{ id: 'jm4owj31', type: 'function', function: { name: 'search_web', arguments: '{"query":"weather"}' }, extra_content: { google: { thought_signature: SIG } } } as never] } }] }),
      ...tr.push({ choices: [{ index: 0, delta: {}, finish_reason: 'tool_calls' }] }),
      ...tr.end(),
    ];
    const done = events.find((e: any) => e.type === 'response.output_item.done' && e.item.type === 'function_call') as any;
    assert.ok(done, 'a function_call item was announced done');
    assert.notEqual(done.item.call_id, 'jm4owj31', 'the signature is kept with the id');
    const body = nextTurn(done.item.call_id, 'gemini');
    const assistant = body.messages.find((m: any) => m.role === 'assistant');
    assert.equal(assistant.tool_calls[0].id, 'jm4owj31');
    assert.deepEqual(assistant.tool_calls[0].extra_content, { google: { thought_signature: SIG } });
    const tool = body.messages.find((m: any) => m.role === 'tool');
    assert.equal(tool.tool_call_id, 'jm4owj31');
  });

  it('non-streamed: the same, from a chat.completion with extra_content', () => {
    const r = chatToResponsesResponse(
      { choices: [{ index: 0, finish_reason: 'tool_calls', message: { role: 'assistant', content: null, tool_calls: [{ id: 'c1', type: 'function', function: { name: 'search_web', arguments: '{}' }, extra_content: { google: { thought_signature: SIG } } } as never] } }] },
      ctx(),
    ) as any;
    const call = r.output.find((i: any) => i.type === 'function_call');
    const body = nextTurn(call.call_id, 'gemini');
    assert.deepEqual(body.messages[1].tool_calls[0], { id: 'c1', type: 'function', function: { name: 'search_web', arguments: '{"query":"weather"}' }, extra_content: { google: { thought_signature: SIG } } });
  });

  it('a provider without thought signatures gets the plain id and no extra_content (after a fallback, say)', () => {
    const body = nextTurn(`c1~sig~${SIG}`, 'deepseek');
    assert.deepEqual(body.messages[1].tool_calls[0], { id: 'c1', type: 'function', function: { name: 'search_web', arguments: '{"query":"weather"}' } });
    assert.equal(body.messages[2].tool_call_id, 'c1');
  });

  it('ids without a signature pass unchanged', () => {
    const body = nextTurn('call_plain', 'gemini');
    assert.equal(body.messages[1].tool_calls[0].id, 'call_plain');
    assert.equal(body.messages[1].tool_calls[0].extra_content, undefined);
  });
});

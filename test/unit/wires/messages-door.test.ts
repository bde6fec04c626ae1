/**
 * The Anthropic Messages door (src/gateway/wires/messages/door.ts, door-encoder.ts, relay.ts):
 * - goldens: the requests Claude Code 2.1.328 sent (golden/messages-door-claude-code-requests.json, a copy of
 *   shared/fixtures/claude-code-2.1.328-requests.json) parsed into hubs, and the hubs built into Chat
 *   Completions bodies (golden/messages-door-claude-code-expected.json; `UPDATE_GOLDEN=1` rewrites it, review
 *   the diff by hand);
 * - parse rules: system, billing header, mid-conversation system messages, tool_use/tool_result pairing,
 *   thinking signatures (ours and Anthropic's), ids, tools (server tools refused), settings, errors;
 * - the encoder's block lifecycle and frames, stop reasons, errors; the fold; the relay observer; the
 *   input-token estimate.
 */
import { strict as assert } from 'node:assert';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createParser } from 'eventsource-parser';
import { GatewayError, UpstreamError } from '../../../src/gateway/errors';
import type { HubEvent, HubMessage, HubRequest } from '../../../src/gateway/hub/types';
import { encodeReasoningBlock } from '../../../src/gateway/translate/reasoning';
import { buildChatRequest } from '../../../src/gateway/wires/chat/upstream-request';
import {
  estimateInputTokens,
  foldMessage,
  hubCallIdOf,
  MESSAGES_DOOR,
  MessagesEncoder,
  MessagesRelay,
  messagesDoorToolId,
  messagesStopReason,
  newMessageId,
  NO_OUTPUT_TEXT,
  parseMessagesRequest,
} from '../../../src/gateway/wires/messages/door';
import type { EncodeContext } from '../../../src/gateway/wires/types';

const GOLDEN = join(__dirname, 'golden');
const fixture = JSON.parse(readFileSync(join(GOLDEN, 'messages-door-claude-code-requests.json'), 'utf8')) as {
  requests: Array<{ what: string; body: Record<string, unknown> }>;
};

/** A hub as plain JSON (the tool map as entries). */
function plainHub(h: HubRequest): Record<string, unknown> {
  return { ...h, toolMap: [...h.toolMap.byUpstream.entries()] };
}

function ctxFor(request: Record<string, unknown> = {}, tools: EncodeContext['tools'] = { byUpstream: new Map() }): EncodeContext {
  return { id: 'msg_test', alias: 'my-alias', createdAt: 1_700_000_000, tools, request };
}

/** SSE text -> frames (event name and parsed data). */
export function frames(text: string): Array<{ event: string | undefined; data: Record<string, unknown> }> {
  const out: Array<{ event: string | undefined; data: Record<string, unknown> }> = [];
  const p = createParser({ onEvent: (e) => out.push({ event: e.event, data: JSON.parse(e.data) as Record<string, unknown> }) });
  p.feed(text);
  return out;
}

/**
 * Checks the Anthropic stream contract on frames: event name = type, message_start first (once), every
 * delta/stop for a started and still open index, one block open at a time, indexes 0,1,..., message_delta
 * then message_stop last (or one error frame last).
 */
export function checkLifecycle(fs: ReturnType<typeof frames>): void {
  assert.ok(fs.length > 0, 'no frames');
  for (const f of fs) assert.equal(f.event, f.data.type, 'event name differs from type');
  const last = fs[fs.length - 1]!;
  const failed = last.data.type === 'error';
  if (failed) {
    fs = fs.slice(0, -1);
    if (fs.length === 0) return;
  } else {
    assert.equal(last.data.type, 'message_stop');
    assert.equal(fs[fs.length - 2]?.data.type, 'message_delta');
  }
  assert.equal(fs[0]!.data.type, 'message_start');
  let open: number | null = null;
  let next = 0;
  for (const f of fs.slice(1)) {
    const t = f.data.type;
    if (t === 'content_block_start') {
      assert.equal(open, null, `block ${String(f.data.index)} started while ${String(open)} is open`);
      assert.equal(f.data.index, next++);
      open = f.data.index as number;
    } else if (t === 'content_block_delta' || t === 'content_block_stop') {
      assert.equal(f.data.index, open, `${t} for index ${String(f.data.index)} which is not open`);
      if (t === 'content_block_stop') open = null;
    } else if (t === 'message_start') assert.fail('second message_start');
  }
  if (!failed) assert.equal(open, null, 'a block was left open');
}

function encode(events: HubEvent[], ctx = ctxFor()): string {
  const enc = new MessagesEncoder(ctx);
  let out = enc.start();
  for (const ev of events) out += enc.push(ev);
  return out + enc.end();
}

function throws400(body: Record<string, unknown>, param: string | RegExp, message?: RegExp): GatewayError {
  try {
    parseMessagesRequest(body);
  } catch (e) {
    assert.ok(e instanceof GatewayError, String(e));
    assert.equal(e.status, 400);
    assert.equal(e.type, 'invalid_request_error');
    if (typeof param === 'string') assert.equal(e.param, param);
    else assert.match(e.param ?? '', param);
    if (message) assert.match(e.message, message);
    return e;
  }
  assert.fail('expected a 400');
}

const user = (content: unknown) => ({ role: 'user', content });
const assistant = (content: unknown) => ({ role: 'assistant', content });

describe('messages door: Claude Code 2.1.328 goldens', () => {
  const expectedPath = join(GOLDEN, 'messages-door-claude-code-expected.json');
  const actual = fixture.requests.map((r) => {
    const hub = parseMessagesRequest(structuredClone(r.body));
    const chat = buildChatRequest(hub, { model: 'gpt-test', provider: 'openai', dropParams: false, dropParamNames: new Set(), stream: true });
    return { what: r.what, hub: plainHub(hub), chat: chat.body, chatDropped: chat.dropped };
  });

  it('matches the golden hubs and Chat bodies', () => {
    if (process.env.UPDATE_GOLDEN === '1' || !existsSync(expectedPath)) {
      assert.ok(process.env.UPDATE_GOLDEN === '1', `${expectedPath} is missing: run once with UPDATE_GOLDEN=1 and review it`);
      writeFileSync(expectedPath, JSON.stringify(actual, null, 2) + '\n');
      return;
    }
    assert.deepStrictEqual(JSON.parse(JSON.stringify(actual)), JSON.parse(readFileSync(expectedPath, 'utf8')));
  });

  it('first request: billing header and cache_control gone, system message in place, effort high, beta fields dropped', () => {
    const hub = parseMessagesRequest(structuredClone(fixture.requests[0]!.body));
    assert.ok(hub.system.startsWith("You are a Claude agent, built on Anthropic's Claude Agent SDK."));
    assert.ok(!hub.system.includes('x-anthropic-billing-header'));
    assert.equal(hub.messages.length, 2);
    assert.equal(hub.messages[0]!.role, 'user');
    assert.equal(typeof (hub.messages[0] as { content: unknown }).content, 'string');
    assert.ok(((hub.messages[0] as { content: string }).content).endsWith('\nWhat is the answer?'));
    assert.equal(hub.messages[1]!.role, 'system');
    assert.ok((hub.messages[1] as { text: string }).text.startsWith('# Environment'));
    assert.equal(hub.tools.length, 12);
    assert.ok(hub.tools.every((t) => !('defer_loading' in t)));
    assert.deepEqual(hub.settings.reasoningEffort, 'high');
    assert.equal(hub.settings.maxOutputTokens, 32000);
    assert.match(hub.settings.user!, /^uid-[0-9a-f]{32}$/); // Claude Code's JSON user_id (device id) is hashed
    assert.equal(hub.stream, true);
    for (const d of ['system:billing_header', 'context_management', 'tools.defer_loading', 'thinking.display']) assert.ok(hub.dropped.includes(d), d);
    assert.ok(!JSON.stringify(plainHub(hub)).includes('cache_control'));
  });

  it('second request: the Bash tool_use is answered right after its assistant message', () => {
    const hub = parseMessagesRequest(structuredClone(fixture.requests[1]!.body));
    const roles = hub.messages.map((m) => m.role);
    assert.deepEqual(roles, ['user', 'system', 'assistant', 'tool']);
    const a = hub.messages[2] as Extract<HubMessage, { role: 'assistant' }>;
    assert.equal(a.toolCalls![0]!.id, 'toolu_mock_tool_1');
    assert.equal(a.toolCalls![0]!.name, 'Bash');
    assert.deepEqual(JSON.parse(a.toolCalls![0]!.arguments), { command: 'echo MARK-A731 > out.txt && cat out.txt', description: 'Write the marker file' });
    assert.deepEqual(hub.messages[3], { role: 'tool', callId: 'toolu_mock_tool_1', text: 'MARK-A731' });
  });

  it('estimates input tokens for count_tokens', () => {
    const n = estimateInputTokens(fixture.requests[0]!.body);
    assert.ok(n > 1000 && n < 20000, String(n));
    const noTools = { ...fixture.requests[0]!.body, tools: [] };
    assert.ok(estimateInputTokens(noTools) < n);
    assert.equal(estimateInputTokens({}), 0);
    assert.equal(estimateInputTokens({ messages: [user([{ type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'AA' } }])] }), 1600);
    assert.equal(estimateInputTokens({ messages: 42 as never, system: 5 as never, tools: [null] as never }), 0);
  });
});

describe('messages door: parse', () => {
  it('joins system blocks, merges leading system messages, keeps later ones in place', () => {
    const hub = parseMessagesRequest({
      system: [{ type: 'text', text: 'A', cache_control: { type: 'ephemeral' } }, { type: 'text', text: 'x-anthropic-billing-header: cc_version=1;' }, { type: 'text', text: 'B' }],
      messages: [{ role: 'system', content: 'C' }, user('hi'), { role: 'system', content: [{ type: 'text', text: 'D' }] }, assistant('ok'), user('more')],
    });
    assert.equal(hub.system, 'A\n\nB\n\nC');
    assert.deepEqual(hub.messages, [
      { role: 'user', content: 'hi' },
      { role: 'system', text: 'D' },
      { role: 'assistant', text: 'ok' },
      { role: 'user', content: 'more' },
    ]);
    assert.equal(parseMessagesRequest({ system: 'plain', messages: [user('x')] }).system, 'plain');
  });

  it('pairs parallel tool results in call order, notes missing ones, keeps orphans as user text', () => {
    const hub = parseMessagesRequest({
      messages: [
        user('go'),
        assistant([
          { type: 'text', text: 'Running' },
          { type: 'tool_use', id: 'toolu_a', name: 'Bash', input: { command: 'ls' } },
          { type: 'tool_use', id: 'toolu_b', name: 'Read', input: { file_path: '/x' } },
          { type: 'tool_use', id: 'toolu_c', name: 'Read', input: {} },
        ]),
        { role: 'system', content: 'mid' },
        user([
          { type: 'tool_result', tool_use_id: 'toolu_b', content: [{ type: 'text', text: 'B1' }, { type: 'text', text: 'B2' }, { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'AAA' } }] },
          { type: 'tool_result', tool_use_id: 'toolu_a', content: 'A', is_error: true, cache_control: { type: 'ephemeral' } },
          { type: 'tool_result', tool_use_id: 'toolu_zzz', content: 'orphan' },
          { type: 'text', text: 'and then?' },
        ]),
      ],
    });
    assert.deepEqual(
      hub.messages.map((m) => m.role),
      ['user', 'assistant', 'tool', 'tool', 'tool', 'system', 'user'],
    );
    assert.deepEqual(hub.messages[2], { role: 'tool', callId: 'toolu_a', text: 'A', isError: true });
    assert.deepEqual(hub.messages[3], { role: 'tool', callId: 'toolu_b', text: 'B1\nB2', media: [{ type: 'image', url: 'data:image/png;base64,AAA' }] });
    assert.deepEqual(hub.messages[4], { role: 'tool', callId: 'toolu_c', text: NO_OUTPUT_TEXT });
    assert.deepEqual(hub.messages[6], { role: 'user', content: 'Output of tool call toolu_zzz:\norphan\nand then?' });
    const a = hub.messages[1] as Extract<HubMessage, { role: 'assistant' }>;
    assert.equal(a.text, 'Running');
    assert.deepEqual(
      a.toolCalls!.map((c) => [c.id, c.arguments]),
      [
        ['toolu_a', '{"command":"ls"}'],
        ['toolu_b', '{"file_path":"/x"}'],
        ['toolu_c', '{}'],
      ],
    );
  });

  it('answers calls of an assistant turn followed by another assistant turn or nothing', () => {
    const hub = parseMessagesRequest({
      messages: [user('go'), assistant([{ type: 'tool_use', id: 't1', name: 'Bash', input: {} }]), assistant('more'), user('x'), assistant([{ type: 'tool_use', id: 't2', name: 'Bash', input: {} }])],
    });
    assert.deepEqual(
      hub.messages.map((m) => (m.role === 'tool' ? `tool:${m.callId}` : m.role)),
      ['user', 'assistant', 'tool:t1', 'assistant', 'user', 'assistant', 'tool:t2'],
    );
  });

  it('turns our own thinking signature back into plain reasoning, keeps Anthropic signatures and redacted blocks', () => {
    const hub = parseMessagesRequest({
      messages: [
        user('q'),
        assistant([
          { type: 'thinking', thinking: 'shown (maybe edited)', signature: encodeReasoningBlock({ text: 'plain thoughts' }) },
          { type: 'thinking', thinking: 'claude thoughts', signature: 'EqQBCkYIBxgCKkB' },
          { type: 'redacted_thinking', data: 'ENCRYPTED' },
          { type: 'text', text: 'answer' },
        ]),
        user('next'),
      ],
    });
    const a = hub.messages[1] as Extract<HubMessage, { role: 'assistant' }>;
    assert.deepEqual(a.reasoning, [{ text: 'plain thoughts' }, { text: 'claude thoughts', signature: 'EqQBCkYIBxgCKkB' }, { text: '', redacted: 'ENCRYPTED' }]);
  });

  it('restores encoded tool-use ids (tool_use and tool_result) and leaves foreign ids alone', () => {
    for (const id of ['functions.exec:0', 'call_1~sig~Abc+/=', 'cgwid_looks_encoded', 'ünï']) {
      const enc = messagesDoorToolId(id);
      assert.match(enc, /^[a-zA-Z0-9_-]+$/);
      assert.equal(hubCallIdOf(enc), id);
      const hub = parseMessagesRequest({ messages: [user('q'), assistant([{ type: 'tool_use', id: enc, name: 'Bash', input: {} }]), user([{ type: 'tool_result', tool_use_id: enc, content: 'ok' }])] });
      assert.equal((hub.messages[1] as Extract<HubMessage, { role: 'assistant' }>).toolCalls![0]!.id, id);
      assert.deepEqual(hub.messages[2], { role: 'tool', callId: id, text: 'ok' });
    }
    assert.equal(messagesDoorToolId('toolu_01AbC-x'), 'toolu_01AbC-x');
    assert.equal(hubCallIdOf('cgwid_!!'), 'cgwid_!!');
  });

  it('maps tools: custom kept, beta fields dropped, odd names flattened, client tools described, server tools refused', () => {
    const hub = parseMessagesRequest({
      messages: [user('q'), assistant([{ type: 'tool_use', id: 't', name: 'mcp.server/tool', input: {} }]), user([{ type: 'tool_result', tool_use_id: 't', content: '' }])],
      tools: [
        { name: 'Bash', description: 'Run', input_schema: { type: 'object', properties: { command: { type: 'string' } } }, strict: true, eager_input_streaming: true, cache_control: { type: 'ephemeral' } },
        { name: 'mcp.server/tool', input_schema: { type: 'object' } },
        { type: 'bash_20250124', name: 'bash' },
        { type: 'text_editor_20250728', name: 'str_replace_based_edit_tool' },
        { type: 'custom', name: 'Bash', input_schema: {} },
      ],
      tool_choice: { type: 'tool', name: 'mcp.server/tool', disable_parallel_tool_use: true },
    });
    assert.deepEqual(
      hub.tools.map((t) => t.name),
      ['Bash', 'mcp_server_tool', 'bash', 'str_replace_based_edit_tool'],
    );
    assert.deepEqual(hub.tools[0], { name: 'Bash', description: 'Run', parameters: { type: 'object', properties: { command: { type: 'string' } } } });
    assert.equal(hub.toolMap.byUpstream.get('mcp_server_tool')!.name, 'mcp.server/tool');
    assert.equal((hub.messages[1] as Extract<HubMessage, { role: 'assistant' }>).toolCalls![0]!.name, 'mcp_server_tool');
    assert.ok((hub.tools[2]!.parameters as { properties: Record<string, unknown> }).properties.command);
    assert.deepEqual(hub.settings.toolChoice, { name: 'mcp_server_tool' });
    assert.equal(hub.settings.parallelToolCalls, false);
    for (const f of ['tools.strict', 'tools.eager_input_streaming', 'tools.cache_control']) assert.ok(hub.dropped.includes(f), f);

    for (const type of ['web_search_20250305', 'web_fetch_20250910', 'code_execution_20250825', 'tool_search_tool_regex_20251119', 'mcp_toolset']) {
      throws400({ model: 'gpt-5', messages: [user('q')], tools: [{ name: 'Bash', input_schema: {} }, { type, name: 'web_search' }] }, 'tools[1].type', /Anthropic server tool.*gpt-5.*Remove this tool/);
    }
    throws400({ messages: [user('q')], tools: [{ type: 'computer_20250124', name: 'computer' }] }, 'tools[0].type', /computer use/);
    throws400({ messages: [user('q')], tools: [{ type: 'mystery_2030', name: 'm' }] }, 'tools[0].type');
    throws400({ messages: [user('q')], mcp_servers: [{ type: 'url', url: 'https://x' }] }, 'mcp_servers', /MCP connector/);
  });

  it('maps settings and effort', () => {
    const hub = parseMessagesRequest({
      messages: [user('q')],
      max_tokens: 100,
      temperature: 0.5,
      top_p: 0.9,
      top_k: 5,
      stop_sequences: ['END'],
      metadata: { user_id: 'u1' },
      tool_choice: { type: 'any' },
      output_config: { format: { type: 'json_schema', schema: { type: 'object' } } },
    });
    assert.deepEqual(hub.settings, { maxOutputTokens: 100, temperature: 0.5, topP: 0.9, stop: ['END'], user: 'u1', toolChoice: 'required', responseFormat: { type: 'json_schema', name: 'output', schema: { type: 'object' } } });
    assert.ok(hub.dropped.includes('top_k'));
    assert.equal(hub.stream, false);
    const effort = (thinking: unknown, output_config?: unknown) => parseMessagesRequest({ messages: [user('q')], thinking, output_config }).settings.reasoningEffort;
    assert.equal(effort({ type: 'enabled', budget_tokens: 1024 }), 'minimal');
    assert.equal(effort({ type: 'enabled', budget_tokens: 4096 }), 'low');
    assert.equal(effort({ type: 'enabled', budget_tokens: 8000 }), 'medium');
    assert.equal(effort({ type: 'enabled', budget_tokens: 8193 }), 'high');
    assert.equal(effort({ type: 'adaptive' }), 'medium');
    assert.equal(effort({ type: 'adaptive' }, { effort: 'low' }), 'low');
    assert.equal(effort({ type: 'adaptive' }, { effort: 'max' }), 'xhigh');
    assert.equal(effort({ type: 'disabled' }, { effort: 'high' }), 'none');
    assert.equal(effort(undefined, { effort: 'medium' }), 'medium');
    assert.equal(effort(undefined), undefined);
    assert.equal(parseMessagesRequest({ messages: [user('q')], tool_choice: { type: 'none', disable_parallel_tool_use: true } }).settings.parallelToolCalls, undefined);
  });

  it('maps user media: images, PDFs, text documents', () => {
    const hub = parseMessagesRequest({
      messages: [
        user([
          { type: 'text', text: 'look' },
          { type: 'image', source: { type: 'base64', media_type: 'image/jpeg', data: '/9j/' } },
          { type: 'image', source: { type: 'url', url: 'https://example.com/a.png' } },
          { type: 'document', title: 'doc.pdf', source: { type: 'base64', media_type: 'application/pdf', data: 'JVBERi0' } },
          { type: 'document', title: 'notes', source: { type: 'text', media_type: 'text/plain', data: 'hello' } },
          { type: 'search_result', source: 'x', title: 't', content: [] },
        ]),
      ],
    });
    assert.deepEqual(hub.messages[0], {
      role: 'user',
      content: [
        { type: 'text', text: 'look' },
        { type: 'image', url: 'data:image/jpeg;base64,/9j/' },
        { type: 'image', url: 'https://example.com/a.png' },
        { type: 'file', fileData: 'data:application/pdf;base64,JVBERi0', filename: 'doc.pdf' },
        { type: 'text', text: 'notes\n\nhello' },
      ],
    });
    assert.ok(hub.dropped.includes('content:search_result'));
    throws400({ messages: [user([{ type: 'image', source: { type: 'file', file_id: 'f' } }])] }, 'messages[0].content[0].source.type', /inline/);
    throws400({ messages: [user([{ type: 'document', source: { type: 'url', url: 'https://x/a.pdf' } }])] }, 'messages[0].content[0].source.type');
  });

  it('rejects malformed requests with a param and a hint', () => {
    throws400({}, 'messages', /non-empty array/);
    throws400({ messages: [] }, 'messages');
    throws400({ messages: [{ role: 'tool', content: 'x' }] }, 'messages[0].role', /user.*assistant/);
    throws400({ messages: [{ role: 'user' }] }, 'messages[0].content');
    throws400({ messages: [user([{ text: 'no type' }])] }, 'messages[0].content[0]');
    throws400({ messages: [user('q'), assistant([{ type: 'tool_use', name: 'Bash', input: {} }])] }, 'messages[1].content[0].id');
    throws400({ messages: [user('q'), assistant([{ type: 'tool_use', id: 'x', input: {} }])] }, 'messages[1].content[0].name');
    throws400({ messages: [user([{ type: 'tool_result', content: 'x' }])] }, 'messages[0].content[0].tool_use_id');
    throws400({ messages: [user('q')], max_tokens: 0 }, 'max_tokens');
    throws400({ messages: [user('q')], temperature: 3 }, 'temperature');
    throws400({ messages: [user('q')], tools: [{ description: 'x' }] }, 'tools[0].name');
    throws400({ messages: [user('q')], tools: {} }, 'tools');
    throws400({ messages: [user('q')], tool_choice: { type: 'maybe' } }, 'tool_choice.type');
    throws400({ messages: [user('q')], tool_choice: { type: 'tool' } }, 'tool_choice.name');
    throws400({ messages: [user('q')], thinking: { type: 'enabled' } }, 'thinking.budget_tokens');
    throws400({ messages: [user('q')], thinking: { type: 'sometimes' } }, 'thinking.type');
    throws400({ messages: [user('q')], system: [{ type: 'image' }] }, 'system[0]');
    throws400({ messages: [user('q')], stop_sequences: 'END' }, 'stop_sequences');
    throws400(null as never, 'body');
  });
});

describe('messages door: encoder', () => {
  it('streams thinking (our signature), text, tool calls (encoded id, name mapped back), then the stop and usage', () => {
    const tools = { byUpstream: new Map([['mcp_server_tool', { kind: 'function' as const, name: 'mcp.server/tool' }]]) };
    const text = encode(
      [
        { type: 'reasoning', text: 'Let me ' },
        { type: 'reasoning', text: 'think.' },
        { type: 'text', text: 'Sure' },
        { type: 'call', index: 0, id: 'functions.x:0', name: 'mcp_server_tool', arguments: '{"a":' },
        { type: 'call', index: 0, arguments: '1}' },
        { type: 'finish', reason: 'tool_calls' },
        { type: 'usage', usage: { input: 120, output: 7, cachedInput: 20, cacheCreationInput: 10 } },
      ],
      ctxFor({}, tools),
    );
    const fs = frames(text);
    checkLifecycle(fs);
    assert.deepEqual(
      fs.map((f) => (f.data.type === 'content_block_delta' ? `delta:${(f.data.delta as { type: string }).type}` : f.data.type)),
      [
        'message_start',
        'content_block_start',
        'delta:thinking_delta',
        'delta:thinking_delta',
        'delta:signature_delta',
        'content_block_stop',
        'content_block_start',
        'delta:text_delta',
        'content_block_stop',
        'content_block_start',
        'delta:input_json_delta',
        'delta:input_json_delta',
        'content_block_stop',
        'message_delta',
        'message_stop',
      ],
    );
    assert.equal((fs[4]!.data.delta as { signature: string }).signature, encodeReasoningBlock({ text: 'Let me think.' }));
    const start = fs[0]!.data.message as Record<string, unknown>;
    assert.equal(start.id, 'msg_test');
    assert.equal(start.model, 'my-alias');
    const tu = fs[9]!.data.content_block as Record<string, unknown>;
    assert.deepEqual(tu, { type: 'tool_use', id: messagesDoorToolId('functions.x:0'), name: 'mcp.server/tool', input: {} });
    assert.deepEqual(fs[13]!.data, {
      type: 'message_delta',
      delta: { stop_reason: 'tool_use', stop_sequence: null },
      usage: { input_tokens: 90, output_tokens: 7, cache_creation_input_tokens: 10, cache_read_input_tokens: 20 },
    });
  });

  it('puts usage reported before the content into message_start, else the estimate', () => {
    const fs = frames(encode([{ type: 'usage', usage: { input: 50, output: 0, cachedInput: 30 } }, { type: 'text', text: 'x' }, { type: 'finish', reason: 'stop' }]));
    assert.deepEqual((fs[0]!.data.message as { usage: unknown }).usage, { input_tokens: 20, output_tokens: 0, cache_creation_input_tokens: 0, cache_read_input_tokens: 30 });
    const enc = new MessagesEncoder(ctxFor({ messages: [user('x'.repeat(400))] }), estimateInputTokens);
    const out = enc.push({ type: 'text', text: 'x' }) + enc.end();
    const f2 = frames(out);
    assert.equal((f2[0]!.data.message as { usage: { input_tokens: number } }).usage.input_tokens, 100);
    assert.deepEqual(f2[f2.length - 2]!.data.usage, { output_tokens: 0 });
    assert.deepEqual(enc.usage, {});
  });

  it('keeps an Anthropic signature byte-exact and writes redacted blocks whole', () => {
    const fs = frames(
      encode([
        { type: 'reasoning', text: 'a' },
        { type: 'reasoning_signature', signature: 'SIG==' },
        { type: 'reasoning_signature', signature: 'SIG2' },
        { type: 'reasoning_redacted', data: 'RED' },
        { type: 'text', text: 'b' },
        { type: 'finish', reason: 'stop' },
      ]),
    );
    checkLifecycle(fs);
    const sigs = fs.filter((f) => (f.data.delta as { type?: string } | undefined)?.type === 'signature_delta').map((f) => (f.data.delta as { signature: string }).signature);
    assert.deepEqual(sigs, ['SIG==', 'SIG2']);
    assert.ok(fs.some((f) => JSON.stringify(f.data.content_block) === '{"type":"redacted_thinking","data":"RED"}'));
  });

  it('holds interleaved parallel calls and writes them whole after the open one; drops nameless calls', () => {
    const fs = frames(
      encode([
        { type: 'call', index: 0, id: 'c0', name: 'Bash', arguments: '{"command":' },
        { type: 'call', index: 1, id: 'c1', name: 'Read', arguments: '{"file' },
        { type: 'call', index: 0, arguments: '"ls"}' },
        { type: 'call', index: 1, arguments: '_path":"/a"}' },
        { type: 'call', index: 2, arguments: '{}' },
        { type: 'call', index: 3, id: 'c3', name: 'Write' },
        { type: 'finish', reason: 'tool_calls' },
      ]),
    );
    checkLifecycle(fs);
    const blocks: Array<{ id: string; json: string }> = [];
    for (const f of fs) {
      if (f.data.type === 'content_block_start') blocks.push({ id: (f.data.content_block as { id: string }).id, json: '' });
      if (f.data.type === 'content_block_delta') blocks[blocks.length - 1]!.json += (f.data.delta as { partial_json: string }).partial_json;
    }
    assert.deepEqual(blocks, [
      { id: 'c0', json: '{"command":"ls"}' },
      { id: 'c1', json: '{"file_path":"/a"}' },
      { id: 'c3', json: '{}' },
    ]);
  });

  it('maps stop reasons', () => {
    assert.equal(messagesStopReason('stop', false), 'end_turn');
    assert.equal(messagesStopReason('stop', true), 'tool_use');
    assert.equal(messagesStopReason('tool_calls', false), 'end_turn');
    assert.equal(messagesStopReason('tool_calls', true), 'tool_use');
    assert.equal(messagesStopReason('length', true), 'max_tokens');
    assert.equal(messagesStopReason('refusal', false), 'refusal');
    assert.equal(messagesStopReason('content_filter', false), 'refusal');
    assert.equal(messagesStopReason('pause', false), 'pause_turn');
    assert.equal(messagesStopReason(undefined, false), 'end_turn');
    const fs = frames(encode([{ type: 'text', text: 'cut' }, { type: 'finish', reason: 'length' }]));
    assert.equal((fs[fs.length - 2]!.data.delta as { stop_reason: string }).stop_reason, 'max_tokens');
  });

  it('an empty answer is still a whole message; content after the finish is ignored', () => {
    const fs = frames(encode([{ type: 'finish', reason: 'stop' }, { type: 'text', text: 'late' }]));
    checkLifecycle(fs);
    assert.deepEqual(
      fs.map((f) => f.data.type),
      ['message_start', 'message_delta', 'message_stop'],
    );
  });

  it('fail() writes one error frame (and nothing after it)', () => {
    const enc = new MessagesEncoder(ctxFor());
    let out = enc.push({ type: 'text', text: 'partial' });
    out += enc.fail(new UpstreamError('server', 'boom', 500), 'The upstream failed.');
    assert.equal(enc.end(), '');
    assert.equal(enc.push({ type: 'text', text: 'x' }), '');
    const fs = frames(out);
    checkLifecycle(fs);
    assert.deepEqual(fs[fs.length - 1]!.data, { type: 'error', error: { type: 'overloaded_error', message: 'The upstream failed.' } });
    const cw = frames(new MessagesEncoder(ctxFor()).fail(new UpstreamError('context_window', 'too long', 400), 'input too long'));
    assert.deepEqual(cw[0]!.data, { type: 'error', error: { type: 'invalid_request_error', message: 'prompt is too long: input too long' } });
    assert.equal((frames(new MessagesEncoder(ctxFor()).fail(undefined, 'x'))[0]!.data.error as { type: string }).type, 'api_error');
    assert.equal((frames(new MessagesEncoder(ctxFor()).fail(new UpstreamError('rate_limit', 'x', 429), 'x'))[0]!.data.error as { type: string }).type, 'rate_limit_error');
  });

  it('newMessageId and the door parts', () => {
    assert.match(newMessageId(), /^msg_[0-9a-f]{24}$/);
    assert.equal(MESSAGES_DOOR.wire, 'messages');
    assert.equal(MESSAGES_DOOR.parse, parseMessagesRequest);
    assert.ok(MESSAGES_DOOR.encoder(ctxFor()) instanceof MessagesEncoder);
    assert.ok(MESSAGES_DOOR.relay(ctxFor) instanceof MessagesRelay);
  });
});

describe('messages door: fold', () => {
  it('folds events into one message', () => {
    const tools = { byUpstream: new Map([['mcp_server_tool', { kind: 'function' as const, name: 'mcp.server/tool' }]]) };
    const m = foldMessage(
      [
        { type: 'usage', usage: { input: 10, output: 1 } },
        { type: 'reasoning', text: 'hmm' },
        { type: 'reasoning', text: '!' },
        { type: 'reasoning_redacted', data: 'R' },
        { type: 'text', text: 'Hi ' },
        { type: 'refusal', text: 'there' },
        { type: 'call', index: 0, id: 'a b', name: 'mcp_server_tool', arguments: '{"x":' },
        { type: 'call', index: 1, id: 'c1', name: 'Read', arguments: 'not json' },
        { type: 'call', index: 0, arguments: '1}' },
        { type: 'call', index: 2, arguments: '{}' },
        { type: 'finish', reason: 'tool_calls' },
        { type: 'usage', usage: { input: 12, output: 9, cachedInput: 2 } },
      ],
      ctxFor({}, tools),
    );
    assert.deepEqual(m, {
      id: 'msg_test',
      type: 'message',
      role: 'assistant',
      model: 'my-alias',
      content: [
        { type: 'thinking', thinking: 'hmm!', signature: encodeReasoningBlock({ text: 'hmm!' }) },
        { type: 'redacted_thinking', data: 'R' },
        { type: 'text', text: 'Hi there' },
        { type: 'tool_use', id: messagesDoorToolId('a b'), name: 'mcp.server/tool', input: { x: 1 } },
        { type: 'tool_use', id: 'c1', name: 'Read', input: {} },
      ],
      stop_reason: 'tool_use',
      stop_sequence: null,
      usage: { input_tokens: 10, output_tokens: 9, cache_creation_input_tokens: 0, cache_read_input_tokens: 2 },
    });
    const empty = foldMessage([], ctxFor());
    assert.equal(empty.stop_reason, 'end_turn');
    assert.deepEqual(empty.content, []);
  });
});

describe('messages door: relay observer', () => {
  it('reads usage from message_start and message_delta (hub convention), and from a whole message', () => {
    const r = new MessagesRelay();
    assert.deepEqual(r.usage, {});
    r.see({ type: 'message_start', message: { usage: { input_tokens: 5, cache_read_input_tokens: 100, cache_creation_input_tokens: 10, output_tokens: 1 } } }, 'message_start');
    assert.deepEqual(r.usage, { input: 115, output: 1 });
    r.see({ type: 'ping' }, 'ping');
    r.see({ type: 'message_delta', delta: { stop_reason: 'end_turn' }, usage: { output_tokens: 42 } }, 'message_delta');
    assert.deepEqual(r.usage, { input: 115, output: 42 });
    const w = new MessagesRelay();
    w.see({ type: 'message', usage: { input_tokens: 3, output_tokens: 4 } }, undefined);
    assert.deepEqual(w.usage, { input: 3, output: 4 });
    const fs = frames(r.fail(new UpstreamError('timeout', 't'), 'Timed out.'));
    assert.deepEqual(fs, [{ event: 'error', data: { type: 'error', error: { type: 'overloaded_error', message: 'Timed out.' } } }]);
  });
});

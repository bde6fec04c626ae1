/**
 * Anthropic Messages upstream adapter, request side: every mapping of buildMessagesRequest
 * (src/gateway/wires/messages/upstream.ts), asserted explicitly. Every body built here must also pass the
 * strict Anthropic validator of test/helpers/anthropic-mock.ts.
 */
import { strict as assert } from 'node:assert';
import { GatewayError } from '../../../src/gateway/errors';
import type { HubMessage, HubRequest, HubSettings, HubTool } from '../../../src/gateway/hub/types';
import {
  buildMessagesRequest,
  defaultMaxTokens,
  EFFORT_BUDGET,
  LEADING_USER_TEXT,
  messagesToolId,
  NO_OUTPUT_TEXT,
} from '../../../src/gateway/wires/messages/upstream';
import type { MessagesRequest } from '../../../src/gateway/wires/messages/types';
import type { BuildOptions } from '../../../src/gateway/wires/types';
import { validateMessagesRequest } from '../../helpers/anthropic-mock';

const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';
const PDF = Buffer.from('%PDF-1.4\n%mock\n').toString('base64');

const EXEC: HubTool = { name: 'exec_command', description: 'Run a command', parameters: { type: 'object', properties: { cmd: { type: 'string' } }, required: ['cmd'] } };
const READ: HubTool = { name: 'read_file', description: 'Read a file', parameters: { type: 'object', properties: { path: { type: 'string' } } } };

function hub(messages: HubMessage[], extra: Partial<Omit<HubRequest, 'settings'>> & { settings?: HubSettings } = {}): HubRequest {
  return { system: '', messages, tools: [], toolMap: { byUpstream: new Map() }, settings: {}, stream: true, dropped: [], ...extra };
}

function opts(o: Partial<BuildOptions> = {}): BuildOptions {
  return { model: 'claude-sonnet-4-5-20250929', provider: 'anthropic', dropParams: false, dropParamNames: new Set(), stream: true, ...o };
}

/** Builds, checks the body against the strict validator, returns body and dropped. */
function build(h: HubRequest, o: Partial<BuildOptions> = {}): { body: MessagesRequest; dropped: string[] } {
  const r = buildMessagesRequest(h, opts(o));
  assert.deepEqual(validateMessagesRequest(r.body), [], `the built body is valid for Anthropic:\n${JSON.stringify(r.body, null, 1)}`);
  return r;
}

/** The body without cache_control marks (to compare shapes). */
function unmarked<T>(v: T): T {
  return JSON.parse(JSON.stringify(v, (k, x) => (k === 'cache_control' ? undefined : x)));
}

function gatewayError(fn: () => unknown, re: RegExp): GatewayError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof GatewayError, `expected a GatewayError, got ${String(e)}`);
    assert.equal(e.status, 400);
    assert.match(e.message, re);
    assert.equal(e.toBody().error.type, 'invalid_request_error');
    return e;
  }
  assert.fail('expected a GatewayError');
}

type UserMessage = Extract<HubMessage, { role: 'user' }>;
type AssistantMessage = Extract<HubMessage, { role: 'assistant' }>;
const user = (content: UserMessage['content']): HubMessage => ({ role: 'user', content });

describe('messages upstream: request', () => {
  describe('conversation', () => {
    it('sends the system text as the first system block and the turns as block arrays', () => {
      const { body } = build(hub([user('hello')], { system: 'You are Codex.' }));
      assert.equal(body.model, 'claude-sonnet-4-5-20250929');
      assert.deepEqual(unmarked(body.system), [{ type: 'text', text: 'You are Codex.' }]);
      assert.deepEqual(unmarked(body.messages), [{ role: 'user', content: [{ type: 'text', text: 'hello' }] }]);
      assert.equal(body.stream, true);
    });

    it('folds a mid-conversation system message into the user turn at its place', () => {
      const { body } = build(
        hub([user('one'), { role: 'assistant', text: 'two' }, { role: 'system', text: 'Sandbox is now read-only.' }, user('three')], { system: 'lead' }),
      );
      assert.deepEqual(unmarked(body.system), [{ type: 'text', text: 'lead' }], 'the top-level system is unchanged');
      assert.deepEqual(unmarked(body.messages[2]), {
        role: 'user',
        content: [
          { type: 'text', text: '<system>\nSandbox is now read-only.\n</system>' },
          { type: 'text', text: 'three' },
        ],
      });
    });

    it('merges consecutive same-role turns and starts with a user turn', () => {
      const { body } = build(hub([{ role: 'assistant', text: 'earlier' }, { role: 'assistant', text: 'more' }, user('a'), user('b')]));
      assert.deepEqual(unmarked(body.messages), [
        { role: 'user', content: [{ type: 'text', text: LEADING_USER_TEXT }] },
        { role: 'assistant', content: [{ type: 'text', text: 'earlier' }, { type: 'text', text: 'more' }] },
        { role: 'user', content: [{ type: 'text', text: 'a' }, { type: 'text', text: 'b' }] },
      ]);
    });

    it('leaves out empty and whitespace-only texts and turns', () => {
      const { body } = build(hub([user('  '), user([{ type: 'text', text: '' }, { type: 'text', text: 'real' }]), { role: 'assistant', text: '   ' }, user('next')]));
      assert.deepEqual(unmarked(body.messages), [{ role: 'user', content: [{ type: 'text', text: 'real' }, { type: 'text', text: 'next' }] }]);
    });

    it('trims trailing whitespace of a final assistant turn (a prefill)', () => {
      const { body } = build(hub([user('q'), { role: 'assistant', text: 'The answer is  \n' }]));
      assert.deepEqual(unmarked(body.messages[1]), { role: 'assistant', content: [{ type: 'text', text: 'The answer is' }] });
    });

    it('answers 400 when no message has content', () => {
      gatewayError(() => buildMessagesRequest(hub([user(' ')]), opts()), /no message with content/);
      gatewayError(() => buildMessagesRequest(hub([]), opts()), /no message with content/);
    });
  });

  describe('content parts', () => {
    it('maps data: URL images to base64 sources and http(s) URLs to url sources', () => {
      const { body } = build(
        hub([
          user([
            { type: 'text', text: 'look' },
            { type: 'image', url: `data:image/png;base64,${PNG}`, detail: 'high' },
            { type: 'image', url: `data:image/jpg;base64,${PNG}` },
            { type: 'image', url: 'https://example.com/cat.webp' },
          ]),
        ]),
      );
      assert.deepEqual(unmarked(body.messages[0]!.content), [
        { type: 'text', text: 'look' },
        { type: 'image', source: { type: 'base64', media_type: 'image/png', data: PNG } },
        { type: 'image', source: { type: 'base64', media_type: 'image/jpeg', data: PNG } },
        { type: 'image', source: { type: 'url', url: 'https://example.com/cat.webp' } },
      ]);
    });

    it('rejects images Anthropic cannot take with a 400 that says what to do', () => {
      gatewayError(() => buildMessagesRequest(hub([user([{ type: 'image', url: `data:image/bmp;base64,${PNG}` }])]), opts()), /image\/bmp.*JPEG, PNG, GIF and WebP/);
      gatewayError(() => buildMessagesRequest(hub([user([{ type: 'image', url: 'data:image/svg+xml,<svg/>' }])]), opts()), /not base64/);
      gatewayError(() => buildMessagesRequest(hub([user([{ type: 'image', url: 'file:///etc/x.png' }])]), opts()), /data: URL or an http\(s\) URL/);
    });

    it('maps PDF and text files to document blocks titled with the filename', () => {
      const { body } = build(
        hub([
          user([
            { type: 'file', fileData: `data:application/pdf;base64,${PDF}`, filename: 'spec.pdf' },
            { type: 'file', fileData: PDF, filename: 'raw.pdf' },
            { type: 'file', fileData: Buffer.from('plain notes').toString('base64'), filename: 'notes.txt' },
            { type: 'text', text: 'summarise' },
          ]),
        ]),
      );
      assert.deepEqual(unmarked(body.messages[0]!.content), [
        { type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: PDF }, title: 'spec.pdf' },
        { type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: PDF }, title: 'raw.pdf' },
        { type: 'document', source: { type: 'text', media_type: 'text/plain', data: 'plain notes' }, title: 'notes.txt' },
        { type: 'text', text: 'summarise' },
      ]);
    });

    it('rejects other files and file ids with a 400', () => {
      gatewayError(() => buildMessagesRequest(hub([user([{ type: 'file', fileId: 'file-abc' }])]), opts()), /file_id.*file_data/);
      gatewayError(
        () => buildMessagesRequest(hub([user([{ type: 'file', fileData: 'data:application/vnd.openxmlformats-officedocument.wordprocessingml.document;base64,AAAA', filename: 'a.docx' }])]), opts()),
        /'a\.docx'.*PDF and plain-text/,
      );
    });
  });

  describe('assistant turns and tool use', () => {
    it('orders thinking, redacted thinking, text, tool_use; drops unsigned reasoning', () => {
      const h = hub(
        [
          user('fix it'),
          {
            role: 'assistant',
            text: 'Running two commands.',
            reasoning: [{ text: 'plain deepseek thought' }, { text: 'signed thought', signature: 'c2lnLTE=' }, { text: '', redacted: 'ZW5jcnlwdGVk' }],
            toolCalls: [
              { id: 'toolu_01', name: 'exec_command', arguments: '{"cmd":"ls"}' },
              { id: 'toolu_02', name: 'read_file', arguments: '{"path":"a.ts"}' },
            ],
          },
          { role: 'tool', callId: 'toolu_01', text: 'a.ts\nb.ts' },
          { role: 'tool', callId: 'toolu_02', text: 'ENOENT', isError: true },
        ],
        { tools: [EXEC, READ], settings: { reasoningEffort: 'medium' } },
      );
      const { body } = build(h);
      assert.deepEqual(unmarked(body.messages[1]), {
        role: 'assistant',
        content: [
          { type: 'thinking', thinking: 'signed thought', signature: 'c2lnLTE=' },
          { type: 'redacted_thinking', data: 'ZW5jcnlwdGVk' },
          { type: 'text', text: 'Running two commands.' },
          { type: 'tool_use', id: 'toolu_01', name: 'exec_command', input: { cmd: 'ls' } },
          { type: 'tool_use', id: 'toolu_02', name: 'read_file', input: { path: 'a.ts' } },
        ],
      });
      assert.deepEqual(unmarked(body.messages[2]), {
        role: 'user',
        content: [
          { type: 'tool_result', tool_use_id: 'toolu_01', content: [{ type: 'text', text: 'a.ts\nb.ts' }] },
          { type: 'tool_result', tool_use_id: 'toolu_02', content: [{ type: 'text', text: 'ENOENT' }], is_error: true },
        ],
      });
      assert.deepEqual(body.thinking, { type: 'enabled', budget_tokens: EFFORT_BUDGET.medium });
    });

    it('puts all results of a turn first, in call order, before the user text of that turn', () => {
      const { body } = build(
        hub(
          [
            user('go'),
            {
              role: 'assistant',
              text: null,
              toolCalls: [
                { id: 'call_a', name: 'exec_command', arguments: '{"cmd":"a"}' },
                { id: 'call_b', name: 'exec_command', arguments: '{"cmd":"b"}' },
                { id: 'call_c', name: 'exec_command', arguments: '{"cmd":"c"}' },
              ],
            },
            { role: 'tool', callId: 'call_c', text: 'C' },
            user('while you were at it: also d'),
            { role: 'tool', callId: 'call_a', text: 'A' },
          ],
          { tools: [EXEC] },
        ),
      );
      assert.deepEqual(unmarked(body.messages[2]!.content), [
        { type: 'tool_result', tool_use_id: 'call_a', content: [{ type: 'text', text: 'A' }] },
        { type: 'tool_result', tool_use_id: 'call_b', content: [{ type: 'text', text: NO_OUTPUT_TEXT }] },
        { type: 'tool_result', tool_use_id: 'call_c', content: [{ type: 'text', text: 'C' }] },
        { type: 'text', text: 'while you were at it: also d' },
      ]);
    });

    it('sends tool images inside the tool_result and tool files after the results', () => {
      const { body } = build(
        hub(
          [
            user('show'),
            { role: 'assistant', text: null, toolCalls: [{ id: 'call_img', name: 'exec_command', arguments: '{"cmd":"view"}' }] },
            {
              role: 'tool',
              callId: 'call_img',
              text: '',
              media: [
                { type: 'image', url: `data:image/png;base64,${PNG}` },
                { type: 'file', fileData: PDF, filename: 'out.pdf' },
              ],
            },
          ],
          { tools: [EXEC] },
        ),
      );
      assert.deepEqual(unmarked(body.messages[2]!.content), [
        { type: 'tool_result', tool_use_id: 'call_img', content: [{ type: 'image', source: { type: 'base64', media_type: 'image/png', data: PNG } }] },
        { type: 'text', text: 'Files returned by tool call call_img:' },
        { type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: PDF }, title: 'out.pdf' },
      ]);
    });

    it('keeps an output whose call is not in the previous turn as user text', () => {
      const { body } = build(hub([user('hi'), { role: 'assistant', text: 'hello' }, { role: 'tool', callId: 'call_gone', text: 'late output' }]));
      assert.deepEqual(unmarked(body.messages[2]), { role: 'user', content: [{ type: 'text', text: 'Output of tool call call_gone:\nlate output' }] });
    });

    it('sends arguments that are not a JSON object as {} and lists it', () => {
      const { body, dropped } = build(
        hub(
          [
            user('x'),
            {
              role: 'assistant',
              text: null,
              toolCalls: [
                { id: 'c1', name: 'exec_command', arguments: '{"cmd": "ech' },
                { id: 'c2', name: 'exec_command', arguments: '[1,2]' },
                { id: 'c3', name: 'exec_command', arguments: '' },
              ],
            },
            { role: 'tool', callId: 'c1', text: 'r1' },
            { role: 'tool', callId: 'c2', text: 'r2' },
            { role: 'tool', callId: 'c3', text: 'r3' },
          ],
          { tools: [EXEC] },
        ),
      );
      const inputs = (body.messages[1]!.content as { input?: unknown }[]).map((b) => b.input);
      assert.deepEqual(inputs, [{}, {}, {}]);
      assert.ok(dropped.includes('tool_use.input'));
    });

    it('rewrites tool ids Anthropic rejects (and duplicates) the same way in tool_use and tool_result', () => {
      const weird = 'functions.exec_command:0';
      const { body } = build(
        hub(
          [
            user('x'),
            { role: 'assistant', text: null, toolCalls: [{ id: weird, name: 'exec_command', arguments: '{}' }] },
            { role: 'tool', callId: weird, text: 'one' },
            { role: 'assistant', text: null, toolCalls: [{ id: weird, name: 'exec_command', arguments: '{}' }] },
            { role: 'tool', callId: weird, text: 'two' },
          ],
          { tools: [EXEC] },
        ),
      );
      const id1 = messagesToolId(weird);
      assert.match(id1, /^[a-zA-Z0-9_-]+$/);
      assert.equal(messagesToolId('toolu_ok-1'), 'toolu_ok-1', 'valid ids are kept');
      assert.equal((body.messages[1]!.content[0] as { id: string }).id, id1);
      assert.equal((body.messages[2]!.content[0] as { tool_use_id: string }).tool_use_id, id1);
      assert.equal((body.messages[3]!.content[0] as { id: string }).id, `${id1}_2`);
      assert.equal((body.messages[4]!.content[0] as { tool_use_id: string }).tool_use_id, `${id1}_2`);
    });

    it('maps tools to input_schema objects (type object added, strict not sent)', () => {
      const { body } = build(
        hub([user('x')], {
          tools: [
            { name: 'no_params', parameters: {} },
            { name: 'typed', description: '', parameters: { properties: { a: { type: 'string' } } }, strict: true },
          ],
        }),
      );
      assert.deepEqual(unmarked(body.tools), [
        { name: 'no_params', input_schema: { type: 'object', properties: {} } },
        { name: 'typed', input_schema: { properties: { a: { type: 'string' } }, type: 'object' } },
      ]);
    });

    it('maps tool_choice and parallelToolCalls: false', () => {
      const cases: [HubSettings, unknown][] = [
        [{ toolChoice: 'auto' }, { type: 'auto' }],
        [{ toolChoice: 'none' }, { type: 'none' }],
        [{ toolChoice: 'required' }, { type: 'any' }],
        [{ toolChoice: { name: 'read_file' } }, { type: 'tool', name: 'read_file' }],
        [{ parallelToolCalls: false }, { type: 'auto', disable_parallel_tool_use: true }],
        [{ toolChoice: 'required', parallelToolCalls: false }, { type: 'any', disable_parallel_tool_use: true }],
        [{ toolChoice: 'none', parallelToolCalls: false }, { type: 'none' }],
        [{ parallelToolCalls: true }, undefined],
      ];
      for (const [settings, want] of cases) {
        const { body } = build(hub([user('x')], { tools: [EXEC, READ], settings }));
        assert.deepEqual(body.tool_choice, want, JSON.stringify(settings));
      }
      const { body } = build(hub([user('x')], { settings: { toolChoice: 'required' } }));
      assert.equal(body.tool_choice, undefined, 'no tool_choice without tools');
    });
  });

  describe('settings', () => {
    it('max_tokens: the client, else the deployment, else the family default', () => {
      assert.equal(build(hub([user('x')], { settings: { maxOutputTokens: 1234 } }), { maxTokens: 999 }).body.max_tokens, 1234);
      assert.equal(build(hub([user('x')]), { maxTokens: 999 }).body.max_tokens, 999);
      assert.equal(build(hub([user('x')]), { extraBody: { max_completion_tokens: 777 } }).body.max_tokens, 777);
      assert.equal(build(hub([user('x')])).body.max_tokens, 32000);
      const table: [string, boolean, number][] = [
        ['claude-3-haiku-20240307', true, 4096],
        ['claude-3-opus-latest', true, 4096],
        ['claude-3-5-sonnet-20241022', true, 8192],
        ['claude-3-5-haiku-latest', true, 8192],
        ['claude-3-7-sonnet-20250219', true, 32000],
        ['claude-opus-4-1-20250805', true, 32000],
        ['claude-haiku-4-5', true, 32000],
        ['claude-sonnet-4-5', false, 16384],
        ['deepseek-chat', true, 8192],
        ['kimi-k2', false, 8192],
      ];
      for (const [model, stream, want] of table) assert.equal(defaultMaxTokens(model, stream), want, `${model} stream=${stream}`);
    });

    it('reasoning effort -> thinking budget (table), none/absent -> no thinking, unknown -> listed', () => {
      assert.deepEqual({ ...EFFORT_BUDGET }, { minimal: 1024, low: 4096, medium: 8192, high: 16384, xhigh: 24576 });
      for (const [effort, budget] of Object.entries(EFFORT_BUDGET)) {
        assert.deepEqual(build(hub([user('x')], { settings: { reasoningEffort: effort } })).body.thinking, { type: 'enabled', budget_tokens: budget });
      }
      assert.equal(build(hub([user('x')], { settings: { reasoningEffort: 'none' } })).body.thinking, undefined);
      assert.equal(build(hub([user('x')])).body.thinking, undefined);
      const odd = build(hub([user('x')], { settings: { reasoningEffort: 'toString' } }));
      assert.equal(odd.body.thinking, undefined);
      assert.ok(odd.dropped.includes('reasoning.effort:toString'));
    });

    it('keeps the budget below max_tokens, or turns thinking off when no room is left', () => {
      assert.deepEqual(build(hub([user('x')], { settings: { reasoningEffort: 'high', maxOutputTokens: 4000 } })).body.thinking, { type: 'enabled', budget_tokens: 2000 });
      const small = build(hub([user('x')], { settings: { reasoningEffort: 'low', maxOutputTokens: 1500 } }));
      assert.equal(small.body.thinking, undefined);
      assert.ok(small.dropped.includes('thinking:max_tokens'));
    });

    it('drops temperature, top_p and top_k when thinking is on, keeps them when off', () => {
      const on = build(hub([user('x')], { settings: { reasoningEffort: 'low', temperature: 0.3, topP: 0.5 } }), { extraBody: { top_k: 5 } });
      assert.equal(on.body.temperature, undefined);
      assert.equal(on.body.top_p, undefined);
      assert.equal(on.body.top_k, undefined);
      assert.ok(['temperature', 'top_p', 'top_k'].every((k) => on.dropped.includes(k)));
      const off = build(hub([user('x')], { settings: { temperature: 0.3, topP: 0.5 } }));
      assert.equal(off.body.temperature, 0.3);
      assert.equal(off.body.top_p, 0.5);
    });

    it('turns thinking off when tool_choice forces a tool', () => {
      const r = build(hub([user('x')], { tools: [EXEC], settings: { reasoningEffort: 'high', toolChoice: 'required' } }));
      assert.equal(r.body.thinking, undefined);
      assert.ok(r.dropped.includes('thinking:tool_choice'));
    });

    it('turns thinking off when the current tool loop has no signed thinking (and strips thinking blocks then)', () => {
      const loop = (reasoning: AssistantMessage['reasoning']) =>
        hub(
          [
            user('x'),
            { role: 'assistant', text: 'old answer', reasoning: [{ text: 'old', signature: 'c2ln' }] },
            user('y'),
            { role: 'assistant', text: null, reasoning, toolCalls: [{ id: 'c1', name: 'exec_command', arguments: '{}' }] },
            { role: 'tool', callId: 'c1', text: 'out' },
          ],
          { tools: [EXEC], settings: { reasoningEffort: 'medium' } },
        );
      const unsigned = build(loop([{ text: 'deepseek thought' }]));
      assert.equal(unsigned.body.thinking, undefined);
      assert.ok(unsigned.dropped.includes('thinking:history'));
      assert.ok(
        unsigned.body.messages.every((m) => m.content.every((b) => b.type !== 'thinking')),
        'no thinking blocks are sent when thinking is off',
      );
      const signed = build(loop([{ text: 'claude thought', signature: 'c2lnMg==' }]));
      assert.deepEqual(signed.body.thinking, { type: 'enabled', budget_tokens: EFFORT_BUDGET.medium });
      assert.deepEqual(signed.body.messages[1]!.content[0], { type: 'thinking', thinking: 'old', signature: 'c2ln' }, 'earlier thinking is kept');
    });

    it('keeps thinking on through a multi-step tool loop whose first step thought (later steps need not)', () => {
      const r = build(
        hub(
          [
            user('go'),
            { role: 'assistant', text: null, reasoning: [{ text: 'plan', signature: 'c2ln' }], toolCalls: [{ id: 'c1', name: 'exec_command', arguments: '{}' }] },
            { role: 'tool', callId: 'c1', text: 'one' },
            { role: 'system', text: 'note while the loop runs' },
            { role: 'assistant', text: null, toolCalls: [{ id: 'c2', name: 'exec_command', arguments: '{}' }] },
            { role: 'tool', callId: 'c2', text: 'two' },
          ],
          { tools: [EXEC], settings: { reasoningEffort: 'low' } },
        ),
      );
      assert.deepEqual(r.body.thinking, { type: 'enabled', budget_tokens: EFFORT_BUDGET.low });
      assert.equal(r.body.messages[3]!.content[0]!.type, 'tool_use', 'the second step has no thinking block');
    });

    it('turns thinking off for a final assistant turn (prefill)', () => {
      const r = build(hub([user('x'), { role: 'assistant', text: 'Sure', reasoning: [{ text: 't', signature: 's' }] }], { settings: { reasoningEffort: 'low' } }));
      assert.equal(r.body.thinking, undefined);
      assert.ok(r.dropped.includes('thinking:prefill'));
      assert.deepEqual(unmarked(r.body.messages[1]), { role: 'assistant', content: [{ type: 'text', text: 'Sure' }] });
    });

    it('maps stop -> stop_sequences (whitespace-only left out) and user -> metadata.user_id', () => {
      const { body } = build(hub([user('x')], { settings: { stop: ['END', ' ', '\n\nHuman:'], user: 'user-42' } }));
      assert.deepEqual(body.stop_sequences, ['END', '\n\nHuman:']);
      assert.deepEqual(body.metadata, { user_id: 'user-42' });
      assert.equal(build(hub([user('x')], { settings: { stop: ['  '] } })).body.stop_sequences, undefined);
    });

    it('asks for JSON in a system block after the instructions for response formats', () => {
      const schema = { type: 'object', properties: { ok: { type: 'boolean' } }, required: ['ok'] };
      const r = build(hub([user('x')], { system: 'Be brief.', settings: { responseFormat: { type: 'json_schema', name: 'verdict', schema } } }));
      assert.equal(r.body.system!.length, 2);
      assert.deepEqual(r.body.system![0], { type: 'text', text: 'Be brief.', cache_control: { type: 'ephemeral' } }, 'the cached block is the instructions');
      assert.match(r.body.system![1]!.text, /single valid JSON object/);
      assert.ok(r.body.system![1]!.text.endsWith(JSON.stringify(schema)));
      assert.equal(r.body.system![1]!.cache_control, undefined);
      assert.ok(r.dropped.includes('response_format:system'));
      const obj = build(hub([user('x')], { settings: { responseFormat: { type: 'json_object' } } }));
      assert.equal(obj.body.system!.length, 1);
      assert.match(obj.body.system![0]!.text, /^Respond with a single valid JSON object/);
    });

    it('ignores promptCacheKey and sends no stream flag for non-streamed calls', () => {
      const { body } = build(hub([user('x')], { settings: { promptCacheKey: 'abc' } }), { stream: false, extraBody: { stream: true } });
      assert.equal(body.stream, undefined);
      assert.equal(JSON.stringify(body).includes('abc'), false);
    });
  });

  describe('prompt caching', () => {
    const conversation = () =>
      hub(
        [
          user('u1'),
          { role: 'assistant', text: 'a1' },
          user('u2'),
          { role: 'assistant', text: null, toolCalls: [{ id: 'c1', name: 'exec_command', arguments: '{}' }] },
          { role: 'tool', callId: 'c1', text: 'r1' },
        ],
        { system: 'sys', tools: [EXEC, READ] },
      );
    const marks = (body: MessagesRequest): string[] => {
      const out: string[] = [];
      body.tools?.forEach((t, i) => t.cache_control && out.push(`tools.${i}`));
      body.system?.forEach((t, i) => t.cache_control && out.push(`system.${i}`));
      body.messages.forEach((m, i) => m.content.forEach((b, j) => (b as { cache_control?: unknown }).cache_control && out.push(`messages.${i}.${j}`)));
      return out;
    };

    it('marks the last tool, the system block and the last two user turns by default', () => {
      const { body } = build(conversation());
      assert.deepEqual(marks(body), ['tools.1', 'system.0', 'messages.2.0', 'messages.4.0']);
    });

    it('follows cache_control_injection_points (LiteLLM semantics), [] turns caching off', () => {
      assert.deepEqual(marks(build(conversation(), { extraBody: { cache_control_injection_points: [] } }).body), []);
      const r = build(conversation(), {
        extraBody: {
          cache_control_injection_points: [
            { location: 'message', role: 'system', control: { type: 'ephemeral', ttl: '1h' } },
            { location: 'message', index: -1 },
            { location: 'message', role: 'user' },
            { location: 'nowhere' },
          ],
        },
      });
      assert.deepEqual(marks(r.body), ['system.0', 'messages.0.0', 'messages.2.0', 'messages.4.0']);
      assert.deepEqual(r.body.system![0]!.cache_control, { type: 'ephemeral', ttl: '1h' });
      assert.ok(r.dropped.includes('cache_control_injection_points[3]'));
      assert.equal((r.body as Record<string, unknown>).cache_control_injection_points, undefined, 'the config key is not sent');
      assert.deepEqual(marks(build(conversation(), { extraBody: { cache_control_injection_points: [{ location: 'tool_config' }] } }).body), ['tools.1']);
    });

    it('never places more than 4 breakpoints and fixes the TTL order', () => {
      const r = build(conversation(), {
        extraBody: {
          cache_control_injection_points: [
            { location: 'tool_config' },
            { location: 'message', role: 'user', control: { type: 'ephemeral', ttl: '1h' } },
            { location: 'message', role: 'assistant' },
          ],
        },
      });
      assert.deepEqual(marks(r.body), ['tools.1', 'messages.0.0', 'messages.2.0', 'messages.4.0'], 'points apply in order until 4');
      assert.equal((r.body.messages[0]!.content[0] as { cache_control?: { ttl?: string } }).cache_control!.ttl, undefined, '1h after 5m is downgraded');
      assert.ok(r.dropped.includes('cache_control:limit'));
      assert.ok(r.dropped.includes('cache_control:ttl'));
    });

    it('turns caching off when the deployment rejects cache_control', () => {
      const r = build(conversation(), { dropParamNames: new Set(['cache_control']) });
      assert.deepEqual(marks(r.body), []);
      assert.ok(r.dropped.includes('cache_control'));
    });
  });

  describe('body policy', () => {
    it('uses extraBody as defaults; the client wins; OpenAI names are mapped; owned keys are ignored', () => {
      const { body, dropped } = build(hub([user('x')], { settings: { temperature: 0.9 } }), {
        extraBody: {
          temperature: 0.1,
          top_k: 40,
          service_tier: 'auto',
          stop: 'STOP',
          user: 'deploy-user',
          response_format: { type: 'json_object' },
          messages: [],
          model: 'other',
          tools: [],
          stream_options: { include_usage: true },
          frequency_penalty: 0.5,
          seed: 7,
        },
      });
      assert.equal(body.temperature, 0.9);
      assert.equal(body.top_k, 40);
      assert.equal(body.service_tier, 'auto');
      assert.deepEqual(body.stop_sequences, ['STOP']);
      assert.deepEqual(body.metadata, { user_id: 'deploy-user' });
      assert.equal(body.model, 'claude-sonnet-4-5-20250929');
      assert.equal(body.response_format, undefined);
      assert.equal(body.stream_options, undefined);
      assert.ok(dropped.includes('extra_body:response_format'));
      assert.equal(body.frequency_penalty, undefined);
      assert.equal(body.seed, undefined);
      assert.ok(dropped.includes('extra_body:frequency_penalty') && dropped.includes('extra_body:seed'));
    });

    it('takes the deployment reasoning_effort or thinking when the client sends no effort', () => {
      assert.deepEqual(build(hub([user('x')]), { extraBody: { reasoning_effort: 'low' } }).body.thinking, { type: 'enabled', budget_tokens: 4096 });
      assert.deepEqual(build(hub([user('x')]), { extraBody: { thinking: { type: 'enabled', budget_tokens: 2048 } } }).body.thinking, { type: 'enabled', budget_tokens: 2048 });
      assert.equal(build(hub([user('x')], { settings: { reasoningEffort: 'none' } }), { extraBody: { thinking: { type: 'enabled', budget_tokens: 2048 } } }).body.thinking, undefined);
      assert.deepEqual(build(hub([user('x')]), { extraBody: { thinking: { type: 'adaptive' } } }).body.thinking, { type: 'adaptive' });
    });

    it('rejects a parameter the deployment drops (drop_params off), drops it when on', () => {
      const h = hub([user('x')], { settings: { temperature: 0.5, stop: ['X'] } });
      const e = gatewayError(() => buildMessagesRequest(h, opts({ dropParamNames: new Set(['temperature']) })), /Parameter 'temperature' is not supported.*drop_params/);
      assert.equal(e.code, 'unsupported_parameter');
      gatewayError(() => buildMessagesRequest(h, opts({ dropParamNames: new Set(['stop']) })), /Parameter 'stop'/);
      const r = build(h, { dropParams: true, dropParamNames: new Set(['temperature', 'stop_sequences']) });
      assert.equal(r.body.temperature, undefined);
      assert.equal(r.body.stop_sequences, undefined);
      assert.ok(r.dropped.includes('temperature') && r.dropped.includes('stop_sequences'));
    });

    it('always drops thinking and disable_parallel_tool_use quietly when rejected', () => {
      const r = build(hub([user('x')], { tools: [EXEC], settings: { reasoningEffort: 'high', parallelToolCalls: false } }), {
        dropParamNames: new Set(['reasoning_effort', 'parallel_tool_calls']),
      });
      assert.equal(r.body.thinking, undefined);
      assert.equal(r.body.tool_choice, undefined);
      assert.ok(r.dropped.includes('thinking') && r.dropped.includes('disable_parallel_tool_use'));
    });

    it('keeps the hub dropped list', () => {
      assert.ok(build(hub([user('x')], { dropped: ['tools:web_search'] })).dropped.includes('tools:web_search'));
    });
  });
});

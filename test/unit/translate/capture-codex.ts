/**
 * Re-captures the real Codex CLI request bodies used as golden inputs (codex-*.json). Not a test.
 *
 *   node --import tsx test/unit/translate/capture-codex.ts <out-dir>
 *
 * For each scenario it starts a loopback Responses server that logs every request body and answers
 * with scripted output items, runs `codex exec` (node_modules/.bin/codex) in a temp HOME/CODEX_HOME and
 * workspace, then writes `<scenario>-turn<N>.json` files. Temp paths are replaced by /home/user(/project).
 * Check the Codex version in package.json first: captures are only valid for the version that made them.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const CODEX = resolve(__dirname, '../../../node_modules/.bin/codex');
const PNG_1X1 = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==';

type Item = Record<string, unknown>;
const msg = (id: string, text: string): Item => ({ type: 'message', id, role: 'assistant', status: 'completed', content: [{ type: 'output_text', text, annotations: [] }] });
const fc = (callId: string, name: string, args: unknown, namespace?: string): Item => ({
  type: 'function_call',
  id: `fc_${callId}`,
  call_id: callId,
  name,
  ...(namespace ? { namespace } : {}),
  arguments: JSON.stringify(args),
  status: 'completed',
});
const reasoning: Item = {
  type: 'reasoning',
  id: 'rs_1',
  summary: [{ type: 'summary_text', text: 'The user wants two commands run.' }],
  encrypted_content: 'cgw1:' + Buffer.from('The user wants two commands run.').toString('base64'),
};
const patch: Item = { type: 'custom_tool_call', id: 'ctc_d', call_id: 'call_d', name: 'apply_patch', input: '*** Begin Patch\n*** Add File: hello.txt\n+hello world\n*** End Patch\n', status: 'completed' };
const closeAgent = fc('call_c', 'close_agent', { target: 'nonexistent-agent' }, 'multi_agent_v1');

interface Scenario {
  name: string;
  model: string;
  prompt: string;
  args?: string[];
  turns: Item[][];
}

const SCENARIOS: Scenario[] = [
  {
    name: 'fallback',
    model: 'mymodel',
    prompt: 'run echo one and echo two, and close agent nonexistent-agent',
    turns: [[reasoning, msg('msg_0', 'Running the commands now.'), fc('call_a', 'exec_command', { cmd: 'echo one' }), fc('call_b', 'exec_command', { cmd: 'echo two' }), closeAgent], [msg('msg_1', 'done')]],
  },
  {
    name: 'gpt55',
    model: 'gpt-5.5',
    prompt: 'run echo one and echo two, close agent nonexistent-agent, and add hello.txt',
    turns: [[reasoning, msg('msg_0', 'Running the commands now.'), fc('call_a', 'exec_command', { cmd: 'echo one' }), fc('call_b', 'exec_command', { cmd: 'echo two' }), closeAgent, patch], [msg('msg_1', 'done')]],
  },
  {
    name: 'toolsearch',
    model: 'gpt-5.5',
    prompt: 'close agent nonexistent-agent',
    turns: [[{ type: 'tool_search_call', id: 'ts_1', call_id: 'search-1', execution: 'client', status: 'completed', arguments: { query: 'close agent', limit: 2 } }], [closeAgent], [msg('msg_1', 'done')]],
  },
  {
    name: 'image',
    model: 'gpt-5.5',
    prompt: 'what is in this image? also view it with the tool',
    args: ['-i', 'dot.png'],
    turns: [[fc('call_view', 'view_image', { path: '@WS@/dot.png' })], [msg('msg_1', 'It is a red dot.')]],
  },
];

async function capture(s: Scenario, outDir: string): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'cgw-capture-'));
  const home = join(dir, 'home');
  const ws = join(dir, 'ws');
  mkdirSync(join(home, '.codex'), { recursive: true });
  mkdirSync(ws);
  writeFileSync(join(ws, 'dot.png'), Buffer.from(PNG_1X1, 'base64'));
  const bodies: string[] = [];
  const server = createServer((req, res) => {
    let raw = '';
    req.on('data', (d) => (raw += d));
    req.on('end', () => {
      if (req.method !== 'POST') return void res.writeHead(404).end();
      const turn = s.turns[Math.min(bodies.length, s.turns.length - 1)].map((it) => JSON.parse(JSON.stringify(it).replaceAll('@WS@', ws)) as Item);
      bodies.push(raw);
      let seq = 0;
      const ev = (e: Item) => `event: ${String(e.type)}\ndata: ${JSON.stringify({ ...e, sequence_number: seq++ })}\n\n`;
      let out = ev({ type: 'response.created', response: { id: `resp_${bodies.length}`, status: 'in_progress', output: [] } });
      turn.forEach((item, i) => (out += ev({ type: 'response.output_item.added', output_index: i, item }) + ev({ type: 'response.output_item.done', output_index: i, item })));
      out += ev({ type: 'response.completed', response: { id: `resp_${bodies.length}`, status: 'completed', output: turn, usage: { input_tokens: 10, output_tokens: 5, total_tokens: 15 } } });
      res.writeHead(200, { 'content-type': 'text/event-stream' }).end(out);
    });
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const port = (server.address() as AddressInfo).port;
  writeFileSync(
    join(home, '.codex', 'config.toml'),
    `model = "${s.model}"\nmodel_provider = "gw"\n[model_providers.gw]\nname = "gw"\nbase_url = "http://127.0.0.1:${port}/v1"\nwire_api = "responses"\nrequest_max_retries = 0\nstream_max_retries = 0\n`,
  );
  await new Promise<void>((ok) => {
    const child = spawn(CODEX, ['exec', '--json', '--skip-git-repo-check', '--dangerously-bypass-approvals-and-sandbox', s.prompt, ...(s.args ?? [])], {
      cwd: ws,
      env: { PATH: process.env.PATH ?? '', HOME: home, CODEX_HOME: join(home, '.codex') },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    const killer = setTimeout(() => child.kill('SIGKILL'), 90_000);
    child.on('close', () => {
      clearTimeout(killer);
      ok();
    });
  });
  await new Promise<void>((ok) => server.close(() => ok()));
  bodies.forEach((raw, i) => {
    const scrubbed = raw.replaceAll(ws, '/home/user/project').replaceAll(home, '/home/user');
    writeFileSync(join(outDir, `${s.name}-turn${i + 1}.json`), JSON.stringify(JSON.parse(scrubbed), null, 2) + '\n');
  });
  rmSync(dir, { recursive: true, force: true });
}

async function main(): Promise<void> {
  const outDir = process.argv[2];
  if (!outDir) throw new Error('usage: node --import tsx test/unit/translate/capture-codex.ts <out-dir>');
  mkdirSync(outDir, { recursive: true });
  for (const s of SCENARIOS) await capture(s, outDir);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});

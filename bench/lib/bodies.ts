/**
 * Request bodies of the bench, built once per run. All JSON is serialised without spaces (the mock
 * upstream looks for the literal `"stream":true`).
 */
import { readFileSync } from 'node:fs';

/** A small non-streamed Chat Completions request (what the latency and throughput runs send). */
export function chatBody(model: string, stream: boolean): string {
  return JSON.stringify({
    model,
    messages: [
      { role: 'system', content: 'You are a terse assistant.' },
      { role: 'user', content: 'Say hello in five words.' },
    ],
    max_tokens: 32,
    ...(stream ? { stream: true } : {}),
  });
}

/** A small streamed Responses API request: one user message, no tools. */
export function smallResponsesBody(model: string): string {
  return JSON.stringify({
    model,
    stream: true,
    store: false,
    input: [{ type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Say hello in five words.' }] }],
  });
}

/** Deterministic filler prose of about `bytes` bytes (no real prompt text is copied from anywhere). */
function filler(bytes: number): string {
  const words = ['the', 'agent', 'reads', 'files', 'before', 'editing', 'them', 'and', 'runs', 'tests', 'after', 'each', 'change', 'keeps', 'diffs', 'small', 'explains', 'why'];
  let s = '';
  let i = 0;
  while (s.length < bytes) {
    s += words[(i * 7 + (i >> 3)) % words.length] + (i % 23 === 22 ? '. ' : ' ');
    i++;
  }
  return s;
}

function fnTool(name: string, description: string, properties: Record<string, unknown>, required: string[]): Record<string, unknown> {
  return { type: 'function', name, description, strict: false, parameters: { type: 'object', properties, required, additionalProperties: false } };
}

/**
 * A streamed Responses request shaped like a Codex 0.169 turn (codex-wire.md, "The request Codex sends"):
 * the system prompt as a leading `developer` message, no `instructions`, the whole history resent
 * (a previous `function_call` / `function_call_output` pair and an assistant message), function tools,
 * a `custom` (freeform) apply_patch tool, `reasoning`, `include`, `store: false`, `prompt_cache_key`,
 * `parallel_tool_calls`, `tool_choice: "auto"`. About `approxBytes` bytes in total (Codex's first
 * request is about 40 KB).
 */
export function codexSizedResponsesBody(model: string, approxBytes = 40_000): string {
  const str = (description: string) => ({ type: 'string', description });
  const tools = [
    fnTool('exec_command', 'Runs a command in a shell and returns its output.', { cmd: str('Command line to run.'), workdir: str('Working directory.'), yield_time_ms: { type: 'number', description: 'How long to wait for output, in ms.' } }, ['cmd']),
    fnTool('write_stdin', 'Writes characters to the stdin of a running session.', { session_id: { type: 'number', description: 'Session id.' }, chars: str('Characters to write.') }, ['session_id']),
    fnTool('update_plan', 'Updates the task plan.', { explanation: str('Why the plan changed.'), plan: { type: 'array', items: { type: 'object', properties: { step: str('Step.'), status: str('pending, in_progress or completed.') }, required: ['step', 'status'] } } }, ['plan']),
    fnTool('request_user_input', 'Asks the user a question.', { question: str('The question.') }, ['question']),
    fnTool('view_image', 'Attaches a local image to the conversation.', { path: str('Image path.') }, ['path']),
    {
      type: 'custom',
      name: 'apply_patch',
      description: 'Edits files with a patch in the apply_patch format.',
      format: { type: 'grammar', syntax: 'lark', definition: 'start: begin_patch hunk+ end_patch\nbegin_patch: "*** Begin Patch" LF\nend_patch: "*** End Patch" LF?\nhunk: /(.|\\n)+?/\n%import common.LF\n' },
    },
  ];
  const history = [
    { type: 'message', role: 'user', content: [{ type: 'input_text', text: '<environment_context>\n  <cwd>/home/user/project</cwd>\n  <shell>bash</shell>\n</environment_context>' }] },
    { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'List the files of the project, then say hello.' }] },
    { type: 'function_call', call_id: 'call_bench_1', name: 'exec_command', arguments: '{"cmd":"ls -la","workdir":"/home/user/project"}' },
    { type: 'function_call_output', call_id: 'call_bench_1', output: 'total 8\n' + 'drwxr-xr-x 2 user user 4096 Jan  1 00:00 src\n'.repeat(40) },
    { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'The project has a src folder.' }] },
    { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Now say hello in five words.' }] },
  ];
  const skeleton = {
    model,
    stream: true,
    input: [{ type: 'message', role: 'developer', content: [{ type: 'input_text', text: '' }] }, ...history],
    tools,
    tool_choice: 'auto',
    parallel_tool_calls: false,
    reasoning: { effort: 'medium', summary: 'auto' },
    store: false,
    include: ['reasoning.encrypted_content'],
    prompt_cache_key: '00000000-0000-4000-8000-000000000000',
  };
  const base = JSON.stringify(skeleton).length;
  (skeleton.input[0] as { content: Array<{ text: string }> }).content[0].text = filler(Math.max(0, approxBytes - base));
  return JSON.stringify(skeleton);
}

/**
 * The request body of a real Codex CLI capture (a golden `codex-*.json` of test/unit/translate/golden:
 * its `input`, the body Codex sent), as a streamed request for `model`: the captured developer prompt,
 * history (reasoning, function and custom tool calls with their outputs) and tools, unchanged.
 * @throws Error when the file is not a golden request case.
 */
export function capturedCodexBody(file: string, model: string): string {
  const j = JSON.parse(readFileSync(file, 'utf8')) as { input?: { input?: unknown } & Record<string, unknown> };
  if (!j.input || !Array.isArray(j.input.input)) throw new Error(`${file}: not a golden request case (no input.input array)`);
  return JSON.stringify({ ...j.input, model, stream: true });
}

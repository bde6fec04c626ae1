/**
 * Large Codex requests for the request-translation benchmark, grown from a request body captured from the
 * real Codex CLI (test/unit/translate/golden/codex-*.json, `input`). A long Codex session grows by its
 * history: Codex resends every earlier turn (reasoning, assistant text, tool calls and their outputs) on
 * each request, while the developer prompt and the tools stay the same. So the captured request's history
 * turn is repeated, with fresh call and item ids, until the body reaches the asked size. Pure functions.
 */
import { readFileSync } from 'node:fs';

/** One input item of a Responses request (only the fields this module touches are typed). */
interface Item {
  type: string;
  role?: string;
  id?: string;
  call_id?: string;
  output?: unknown;
  [k: string]: unknown;
}

/** A Responses request body as captured (the fields this module touches). */
export interface CodexRequest {
  input: Item[];
  [k: string]: unknown;
}

/** A captured golden case: the Codex request and the translator options it was recorded with. */
export interface CodexCapture {
  file: string;
  request: CodexRequest;
  options: { model: string; provider: string; dropParams: boolean; dropParamNames: string[]; stream: boolean };
}

/**
 * Reads a golden `codex-*.json` file (`{ input, options, ... }`).
 * @throws Error when the file has no `input.input` array.
 */
export function readCapture(file: string): CodexCapture {
  const j = JSON.parse(readFileSync(file, 'utf8')) as { input: CodexRequest; options: CodexCapture['options'] };
  if (!j?.input || !Array.isArray(j.input.input)) throw new Error(`${file}: not a golden request case (no input.input array)`);
  return { file, request: j.input, options: j.options };
}

/** How the history grows. */
export interface ScaleOptions {
  /**
   * Size each repeated tool output is grown to, in bytes, by repeating its own text (0: the captured size,
   * a few hundred bytes). Codex truncates tool output for the model at about 10 KiB.
   */
  outputBytes?: number;
}

const isTurnStart = (it: Item) => it.type !== 'message' || (it.role !== 'developer' && it.role !== 'system' && it.role !== 'user');

/**
 * Grows `base` to at least `targetBytes` bytes of JSON (UTF-8) by repeating its history turn: the items after
 * the leading developer/system/user messages. Each copy gets `_r<k>` appended to its `call_id` and `id`,
 * and is followed by a copy of the last leading user message, as a new user turn would be; the result ends
 * with the original items, so the last turn is the captured one. Returns `base` itself (not a copy) when it
 * is already large enough.
 * @throws Error when `base` has no history turn to repeat.
 */
export function scaleCodexRequest(base: CodexRequest, targetBytes: number, o: ScaleOptions = {}): CodexRequest {
  const size = (x: unknown) => Buffer.byteLength(JSON.stringify(x));
  if (size(base) >= targetBytes) return base;
  const first = base.input.findIndex(isTurnStart);
  if (first < 0) throw new Error('the captured request has no history turn (reasoning, calls, outputs) to repeat');
  const head = base.input.slice(0, first);
  const turn = base.input.slice(first);
  const lastUser = [...head].reverse().find((it) => it.role === 'user');
  const grow = (it: Item): Item => {
    if (!o.outputBytes || typeof it.output !== 'string' || it.output.length === 0) return it;
    const reps = Math.max(1, Math.ceil(o.outputBytes / it.output.length));
    return { ...it, output: it.output.repeat(reps).slice(0, o.outputBytes) };
  };
  const copyTurn = (k: number): Item[] => {
    const items = turn.map((it) => {
      const c: Item = grow({ ...it });
      if (typeof c.call_id === 'string') c.call_id = `${c.call_id}_r${k}`;
      if (typeof c.id === 'string') c.id = `${c.id}_r${k}`;
      return c;
    });
    if (lastUser) items.push({ ...lastUser });
    return items;
  };
  const oneTurn = size(copyTurn(0)) + 1;
  const copies = Math.max(1, Math.ceil((targetBytes - size(base)) / oneTurn));
  const history: Item[] = [];
  for (let k = 1; k <= copies; k++) history.push(...copyTurn(k));
  return { ...base, input: [...head, ...history, ...turn] };
}

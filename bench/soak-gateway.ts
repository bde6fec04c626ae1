/**
 * The gateway as the soak (bench/soak.ts) runs it: the engine's Gateway class (src/gateway/server.ts),
 * exactly as `codex-gateway serve` and the VS Code extension host it, in a node process of its own, plus a
 * sampler of the process's own state that the soak cannot read from outside:
 *
 * - every `SOAK_SAMPLE_MS` ms (default 1000) one line `SOAK_SAMPLE <json>` (`Sample`, bench/lib/self-sample.ts) on stdout;
 * - on SIGUSR2: a full garbage collection first when node runs with `--expose-gc`, then one sample with
 *   `gc: true` (live heap, not heap plus garbage).
 *
 *   node soak-gateway.js --config FILE      (bundled by bench/soak.ts; env: SOAK_GATEWAY_KEY = the bearer
 *                                            token clients send; provider keys by the names the config uses)
 *
 * Prints `BENCH_LISTENING <port>` once it listens on 127.0.0.1 (port 0: a free one). SIGTERM/SIGINT close
 * it (in-flight streams get 2 s).
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { parseConfigText, resolveConfig } from '../src/gateway/config';
import { Gateway } from '../src/gateway/server';
import { sample } from './lib/self-sample';

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { config: { type: 'string' } } });
  if (!values.config) throw new Error('soak-gateway: --config FILE is required');
  const masterKey = process.env.SOAK_GATEWAY_KEY;
  if (!masterKey) throw new Error('soak-gateway: set SOAK_GATEWAY_KEY');
  const config = resolveConfig(parseConfigText(readFileSync(values.config, 'utf8'), values.config));
  const gw = new Gateway({ config, masterKey });
  const { port } = await gw.listen('127.0.0.1', 0);
  const t0 = Date.now();
  const print = (gc = false) => process.stdout.write(`SOAK_SAMPLE ${JSON.stringify(sample(t0, gc))}\n`);
  process.stdout.write(`BENCH_LISTENING ${port}\n`);
  print();
  const every = Number(process.env.SOAK_SAMPLE_MS ?? 1000);
  const timer = setInterval(() => print(), every > 0 ? every : 1000);
  process.on('SIGUSR2', () => {
    const g = (globalThis as { gc?: () => void }).gc;
    if (g) g();
    print(Boolean(g));
  });
  const stop = () => {
    clearInterval(timer);
    gw.close(2000).finally(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((e) => {
  process.stderr.write(`soak-gateway: ${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});

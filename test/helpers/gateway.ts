/**
 * Starts a real gateway (the engine's Gateway class on a real loopback port) for integration tests, from a
 * YAML config text. Provider keys are looked up in the `secrets` map given here (generated per test run,
 * never literal key-shaped strings). Log lines are captured for assertions.
 *
 * Every key made by {@link fakeKey} and every secret given to {@link startGateway} is registered with the
 * key-leak registry (`leak-registry.ts`), and every gateway started here has its log lines and every byte
 * its HTTP server sends to clients captured there; the final check of each mocha run (`leak-plugin.ts`)
 * fails when a registered key shows up in any of it.
 */
import { randomBytes } from 'node:crypto';
import { parseConfigText, resolveConfig } from '../../src/gateway/config';
import { Logger } from '../../src/gateway/log';
import { Gateway, type GatewayOptions } from '../../src/gateway/server';
import type { RouterOptions } from '../../src/gateway/router';
import { count, openSource, registerSecret } from './leak-registry';
import { installSdkErrorTap, tapGatewayServer } from './leak-taps';

installSdkErrorTap();

/** A running test gateway. */
export interface TestGateway {
  gw: Gateway;
  /** `http://127.0.0.1:PORT` */
  url: string;
  /** `http://127.0.0.1:PORT/v1`, for the openai SDK's baseURL. */
  baseURL: string;
  /** The bearer token clients must send. */
  token: string;
  /** Every log line written so far (`LEVEL line`). */
  logs: string[];
  /** How leak findings name this gateway: `gateway#N` (N counts the gateways of this process from 1). */
  label: string;
  close(): Promise<void>;
}

/**
 * A random fake key for tests (never shaped like a real provider key): `test-<label>-<24 hex>`. It is
 * registered with the key-leak registry under the label `fakeKey('<label>')`.
 */
export function fakeKey(label = 'key'): string {
  const key = `test-${label}-${randomBytes(12).toString('hex')}`;
  registerSecret(key, `fakeKey('${label}')`);
  return key;
}

let gateways = 0;

/**
 * @param yaml config text (LiteLLM shape).
 * @param secrets provider keys by env name (each value is registered with the key-leak registry).
 * @param routerOptions e.g. a fake clock.
 * @param more other Gateway options (e.g. `chatgpt` with a fixture CODEX_HOME).
 */
export async function startGateway(yaml: string, secrets: Record<string, string> = {}, routerOptions: RouterOptions = {}, more: Pick<GatewayOptions, 'chatgpt'> = {}): Promise<TestGateway> {
  const label = `gateway#${++gateways}`;
  for (const [name, value] of Object.entries(secrets)) registerSecret(value, `secret ${name}`);
  const config = resolveConfig(parseConfigText(yaml, 'test.yaml'));
  const logs: string[] = [];
  const logTap = openSource('gateway-log', `${label} log`);
  const logger = new Logger('debug', (level, line) => {
    const l = `${level.toUpperCase()} ${line}`;
    logs.push(l);
    logTap.write(`${l}\n`);
  });
  const token = fakeKey('gateway');
  const gw = new Gateway({ config, masterKey: token, logger, secrets: (n) => secrets[n], routerOptions, ...more });
  const { url, port } = await gw.listen('127.0.0.1', 0);
  tapGatewayServer(gw, port, label);
  count('gateways');
  return { gw, url, baseURL: `${url}/v1`, token, logs, label, close: () => gw.close(500) };
}

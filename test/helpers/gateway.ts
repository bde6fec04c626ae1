/**
 * Starts a real gateway (the engine's Gateway class on a real loopback port) for integration tests, from a
 * YAML config text. Provider keys are looked up in the `secrets` map given here (generated per test run,
 * never literal key-shaped strings). Log lines are captured for assertions.
 */
import { randomBytes } from 'node:crypto';
import { parseConfigText, resolveConfig } from '../../src/gateway/config';
import { Logger } from '../../src/gateway/log';
import { Gateway } from '../../src/gateway/server';
import type { RouterOptions } from '../../src/gateway/router';

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
  close(): Promise<void>;
}

/** A random fake key for tests (never shaped like a real provider key). */
export function fakeKey(label = 'key'): string {
  return `test-${label}-${randomBytes(12).toString('hex')}`;
}

/**
 * @param yaml config text (LiteLLM shape).
 * @param secrets provider keys by env name.
 * @param routerOptions e.g. a fake clock.
 */
export async function startGateway(yaml: string, secrets: Record<string, string> = {}, routerOptions: RouterOptions = {}): Promise<TestGateway> {
  const config = resolveConfig(parseConfigText(yaml, 'test.yaml'));
  const logs: string[] = [];
  const logger = new Logger('debug', (level, line) => logs.push(`${level.toUpperCase()} ${line}`));
  const token = fakeKey('gateway');
  const gw = new Gateway({ config, masterKey: token, logger, secrets: (n) => secrets[n], routerOptions });
  const { url } = await gw.listen('127.0.0.1', 0);
  return { gw, url, baseURL: `${url}/v1`, token, logs, close: () => gw.close(500) };
}

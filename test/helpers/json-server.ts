/**
 * A loopback HTTP server on 127.0.0.1 that reads each request's JSON body and hands it to the test's handler:
 * the stand-in for a door that an official SDK client (openai, @anthropic-ai/sdk) is pointed at.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

/** Answers one request whose body parsed as JSON. May write and end `res` asynchronously. */
export type JsonHandler = (body: Record<string, unknown>, res: http.ServerResponse) => Promise<void> | void;

/** Answers a request whose body did not parse, or whose handler threw or rejected, in the wire's own error shape. */
export type JsonErrorHandler = (error: unknown, res: http.ServerResponse) => void;

/** A running JSON server. */
export interface JsonServer {
  /** `http://127.0.0.1:<port>`, no trailing slash. */
  readonly origin: string;
  /** Drops open connections and stops listening. */
  close(): Promise<void>;
}

/**
 * Starts a server on an OS-picked port of 127.0.0.1.
 * @param handle called once per request with the parsed body.
 * @param onError called instead when JSON.parse fails or `handle` throws or rejects.
 */
export async function startJsonServer(handle: JsonHandler, onError: JsonErrorHandler): Promise<JsonServer> {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      try {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
        Promise.resolve(handle(body, res)).catch((e: unknown) => onError(e, res));
      } catch (e) {
        onError(e, res);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close() {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

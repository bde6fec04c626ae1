/**
 * A browser preview of the settings panel outside VS Code, for developing and testing the UI with playwright:
 * serves the real page (`panelHtml`, same CSP) with dist/webview.js + dist/webview.css on 127.0.0.1, and a stand-in
 * `acquireVsCodeApi` (/fake-vscode.js) that bridges the webview's messages to the real host side
 * ({@link PanelDispatcher}) in this Node process: webview -> host by `POST /to-host`, host -> webview by Server-Sent
 * Events on `/events`. `getState`/`setState` keep the state in sessionStorage (so a reload behaves like VS Code
 * re-creating a hidden webview) and every call is recorded in `window.__vscodeCalls` for assertions.
 *
 * Theme: /theme.css sets a subset of VS Code's `--vscode-*` variables (Dark Modern or Light Modern values) on
 * <html>, as VS Code does for webviews, plus the body class `vscode-dark` / `vscode-light`.
 *
 * Run by hand: `node --import tsx test/vscode/panel/preview.ts` (prints the URL; Ctrl+C stops it).
 */
import { readFile } from 'node:fs/promises';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { PanelBackend } from '../../../src/extension/panel/backend';
import { PanelDispatcher } from '../../../src/extension/panel/dispatch';
import { makeNonce, panelHtml } from '../../../src/extension/panel/html';
import type { HostToWebview } from '../../../src/shared/panel-protocol';
import { chatText, MockUpstream } from '../../helpers/mock-upstream';
import { LocalBackend } from './local-backend';

const ROOT = join(__dirname, '../../..');

/** A running preview. */
export interface Preview {
  /** `http://127.0.0.1:PORT/` */
  url: string;
  /** The host side connected to the page (one per page load). */
  dispatcher(): PanelDispatcher | undefined;
  close(): Promise<void>;
}

/** VS Code theme variables the panel and vscode-elements read (values of the Dark / Light Modern themes). */
const THEMES: Record<'dark' | 'light', Record<string, string>> = {
  dark: {
    'font-family': 'system-ui, "Ubuntu", "Droid Sans", sans-serif',
    'font-size': '13px',
    'font-weight': 'normal',
    'editor-font-family': '"Droid Sans Mono", monospace',
    foreground: '#cccccc',
    'editor-background': '#1f1f1f',
    descriptionForeground: '#9d9d9d',
    errorForeground: '#f85149',
    focusBorder: '#0078d4',
    'panel-border': '#2b2b2b',
    'widget-border': '#313131',
    'settings-headerBorder': '#2b2b2b',
    'panel-background': '#181818',
    'button-background': '#0078d4',
    'button-foreground': '#ffffff',
    'button-hoverBackground': '#026ec1',
    'button-secondaryBackground': '#313131',
    'button-secondaryForeground': '#cccccc',
    'button-secondaryHoverBackground': '#3c3c3c',
    'button-border': '#ffffff12',
    'input-background': '#313131',
    'input-foreground': '#cccccc',
    'input-border': '#3c3c3c',
    'input-placeholderForeground': '#989898',
    'inputValidation-errorBorder': '#be1100',
    'inputValidation-errorBackground': '#5a1d1d',
    'dropdown-background': '#313131',
    'dropdown-foreground': '#cccccc',
    'dropdown-border': '#3c3c3c',
    'dropdown-listBackground': '#1f1f1f',
    'list-hoverBackground': '#2a2d2e',
    'list-activeSelectionBackground': '#04395e',
    'list-activeSelectionForeground': '#ffffff',
    'list-inactiveSelectionBackground': '#37373d',
    'badge-background': '#616161',
    'badge-foreground': '#f8f8f8',
    'editorWarning-foreground': '#cca700',
    'testing-iconPassed': '#73c991',
    'editorWidget-background': '#202020',
    'tab-activeForeground': '#ffffff',
    'tab-inactiveForeground': '#9d9d9d',
    'panelTitle-activeBorder': '#0078d4',
    'panelTitle-activeForeground': '#cccccc',
    'panelTitle-inactiveForeground': '#9d9d9d',
    'editorGroup-border': '#ffffff17',
  },
  light: {
    'font-family': 'system-ui, "Ubuntu", "Droid Sans", sans-serif',
    'font-size': '13px',
    'font-weight': 'normal',
    'editor-font-family': '"Droid Sans Mono", monospace',
    foreground: '#3b3b3b',
    'editor-background': '#ffffff',
    descriptionForeground: '#3b3b3b',
    errorForeground: '#f85149',
    focusBorder: '#005fb8',
    'panel-border': '#e5e5e5',
    'widget-border': '#e5e5e5',
    'settings-headerBorder': '#e5e5e5',
    'panel-background': '#f8f8f8',
    'button-background': '#005fb8',
    'button-foreground': '#ffffff',
    'button-hoverBackground': '#0258a8',
    'button-secondaryBackground': '#e5e5e5',
    'button-secondaryForeground': '#3b3b3b',
    'button-secondaryHoverBackground': '#cccccc',
    'button-border': '#0000001a',
    'input-background': '#ffffff',
    'input-foreground': '#3b3b3b',
    'input-border': '#cecece',
    'input-placeholderForeground': '#767676',
    'inputValidation-errorBorder': '#be1100',
    'inputValidation-errorBackground': '#f2dede',
    'dropdown-background': '#ffffff',
    'dropdown-foreground': '#3b3b3b',
    'dropdown-border': '#cecece',
    'dropdown-listBackground': '#ffffff',
    'list-hoverBackground': '#f2f2f2',
    'list-activeSelectionBackground': '#e8e8e8',
    'list-activeSelectionForeground': '#000000',
    'list-inactiveSelectionBackground': '#e4e6f1',
    'badge-background': '#cccccc',
    'badge-foreground': '#3b3b3b',
    'editorWarning-foreground': '#bf8803',
    'testing-iconPassed': '#388a34',
    'editorWidget-background': '#f8f8f8',
    'tab-activeForeground': '#3b3b3b',
    'tab-inactiveForeground': '#868686',
    'panelTitle-activeBorder': '#005fb8',
    'panelTitle-activeForeground': '#3b3b3b',
    'panelTitle-inactiveForeground': '#3b3b3b',
    'editorGroup-border': '#e5e5e5',
  },
};

/** The stand-in for VS Code's webview API (runs in the page, before dist/webview.js). */
const FAKE_VSCODE = `(() => {
  const calls = (window.__vscodeCalls = []);
  const KEY = 'codex-gateway-panel-state';
  let acquired = false;
  window.acquireVsCodeApi = () => {
    if (acquired) throw new Error('acquireVsCodeApi may only be called once');
    acquired = true;
    return {
      postMessage(m) {
        calls.push({ op: 'postMessage', message: m });
        fetch('/to-host', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(m) });
      },
      getState() {
        calls.push({ op: 'getState' });
        const s = sessionStorage.getItem(KEY);
        return s === null ? undefined : JSON.parse(s);
      },
      setState(s) {
        calls.push({ op: 'setState', state: s });
        sessionStorage.setItem(KEY, JSON.stringify(s));
        return s;
      },
    };
  };
  const es = new EventSource('/events');
  es.onmessage = (e) => window.dispatchEvent(new MessageEvent('message', { data: JSON.parse(e.data) }));
  window.__violations = [];
  document.addEventListener('securitypolicyviolation', (e) => window.__violations.push(e.violatedDirective + ' ' + e.blockedURI));
})();`;

/**
 * Starts the preview on 127.0.0.1 (a free port).
 * @param backend the backend the page talks to (e.g. a {@link LocalBackend}).
 * @param theme which theme variables to serve.
 */
export async function startPreview(backend: PanelBackend, theme: 'dark' | 'light' = 'dark'): Promise<Preview> {
  let dispatcher: PanelDispatcher | undefined;
  let stream: http.ServerResponse | undefined;
  const queue: HostToWebview[] = [];
  const send = (m: HostToWebview) => {
    if (stream) stream.write(`data: ${JSON.stringify(m)}\n\n`);
    else queue.push(m);
  };
  const sockets = new Set<import('node:net').Socket>();
  const server = http.createServer(async (req, res) => {
    const origin = `http://${req.headers.host}`;
    const path = (req.url ?? '/').split('?')[0];
    try {
      if (path === '/') {
        dispatcher?.dispose();
        stream?.end();
        stream = undefined;
        queue.length = 0;
        dispatcher = new PanelDispatcher(backend, send);
        const nonce = makeNonce();
        let page = panelHtml({ cspSource: origin, nonce, scriptUri: `${origin}/dist/webview.js`, styleUri: `${origin}/dist/webview.css` });
        // The bridge needs fetch + EventSource to this server; the theme is one more stylesheet of this origin.
        page = page.replace("default-src 'none'", `default-src 'none'; connect-src ${origin}`);
        page = page.replace('<link rel="stylesheet"', `<link rel="stylesheet" href="${origin}/theme.css">\n<link rel="stylesheet"`);
        page = page.replace('<body>', `<body class="vscode-${theme}" data-vscode-theme-kind="vscode-${theme}">`);
        page = page.replace('<script nonce=', `<script nonce="${nonce}" src="${origin}/fake-vscode.js"></script>\n<script nonce=`);
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
        res.end(page);
      } else if (path === '/fake-vscode.js') {
        res.writeHead(200, { 'content-type': 'text/javascript' });
        res.end(FAKE_VSCODE);
      } else if (path === '/theme.css') {
        const vars = Object.entries(THEMES[theme])
          .map(([k, v]) => `  --vscode-${k}: ${v};`)
          .join('\n');
        res.writeHead(200, { 'content-type': 'text/css' });
        res.end(`html {\n${vars}\n}\n`);
      } else if (path.startsWith('/dist/') && /^\/dist\/[\w.-]+$/.test(path)) {
        const file = join(ROOT, path);
        const type = path.endsWith('.js') ? 'text/javascript' : path.endsWith('.css') ? 'text/css' : path.endsWith('.ttf') ? 'font/ttf' : 'application/octet-stream';
        res.writeHead(200, { 'content-type': type });
        res.end(await readFile(file));
      } else if (path === '/events') {
        res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
        res.write(': connected\n\n');
        stream = res;
        for (const m of queue.splice(0)) send(m);
        req.on('close', () => {
          if (stream === res) stream = undefined;
        });
      } else if (path === '/to-host' && req.method === 'POST') {
        const chunks: Buffer[] = [];
        for await (const c of req) chunks.push(c as Buffer);
        res.writeHead(204);
        res.end();
        await dispatcher?.handle(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      } else {
        res.writeHead(404);
        res.end();
      }
    } catch (e) {
      if (!res.headersSent) res.writeHead(500);
      res.end(String(e));
    }
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/`,
    dispatcher: () => dispatcher,
    close: async () => {
      dispatcher?.dispose();
      stream?.end();
      for (const s of sockets) s.destroy();
      await new Promise<void>((ok) => server.close(() => ok()));
    },
  };
}

if (require.main === module) {
  void (async () => {
    const up = await MockUpstream.start({ name: 'preview' });
    up.setFallback(chatText('Hello from the mock provider.'));
    const backend = await LocalBackend.start({
      config: {
        model_list: [
          { model_name: 'alpha', litellm_params: { model: 'openai_compatible/alpha-model', api_base: up.baseUrl }, model_info: { context_window: 128000 } },
          { model_name: 'beta', litellm_params: { model: 'deepseek/deepseek-chat', api_base: up.baseUrl, api_key: 'os.environ/DEEPSEEK_API_KEY' } },
        ],
        router_settings: { num_retries: 1, fallbacks: [{ alpha: ['beta'] }] },
      },
    });
    const p = await startPreview(backend, process.argv.includes('--light') ? 'light' : 'dark');
    console.log(`Settings panel preview: ${p.url}`);
    process.on('SIGINT', () => void Promise.all([p.close(), backend.close(), up.close()]).then(() => process.exit(0)));
  })();
}

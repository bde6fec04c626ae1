// Bundles the gateway CLI and the VS Code extension with esbuild.
// Usage: node scripts/build.mjs [--if-needed] [--watch]
import { build } from 'esbuild';
import { existsSync, statSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const args = new Set(process.argv.slice(2));

/** Newest mtime (ms) of any file under dir. */
function newest(dir) {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

if (args.has('--if-needed')) {
  const out = join(root, 'dist/cli.js');
  if (existsSync(out) && statSync(out).mtimeMs > newest(join(root, 'src'))) process.exit(0);
}

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: true,
  logLevel: 'warning',
  minifySyntax: true,
  // jsonc-parser's "main" is a UMD build whose internal require() calls esbuild cannot follow (the bundle
  // would throw "Cannot find module './impl/format'" at load): bundle its ESM build instead.
  alias: { 'jsonc-parser': 'jsonc-parser/lib/esm/main.js' },
};

const entries = [
  { entryPoints: [join(root, 'src/gateway/cli.ts')], outfile: join(root, 'dist/cli.js') },
  // The auth command config.toml names (CLI and extension): only the auth helper and the notice server, so
  // Codex's wait for the token stays short (src/gateway/codex/auth-main.ts).
  { entryPoints: [join(root, 'src/gateway/codex/auth-main.ts')], outfile: join(root, 'dist/codex-auth.js') },
];
if (existsSync(join(root, 'src/extension/extension.ts'))) {
  entries.push({
    entryPoints: [join(root, 'src/extension/extension.ts')],
    outfile: join(root, 'dist/extension.js'),
    external: ['vscode'],
  });
  // The gateway's worker thread and the vscode:uninstall hook (no vscode import in either).
  entries.push({ entryPoints: [join(root, 'src/extension/worker.ts')], outfile: join(root, 'dist/gateway-worker.js') });
  entries.push({ entryPoints: [join(root, 'src/extension/uninstall.ts')], outfile: join(root, 'dist/uninstall.js') });
}
// The settings panel's webview (a browser IIFE; its CSS, with the codicon font, lands in dist/webview.css).
if (existsSync(join(root, 'webview/main.mts'))) {
  entries.push({ entryPoints: [join(root, 'webview/main.mts')], outfile: join(root, 'dist/webview.js'), platform: 'browser', format: 'iife', target: 'chrome120', loader: { '.ttf': 'file' }, assetNames: '[name]', minify: true });
}
await Promise.all(entries.map((e) => build({ ...common, ...e })));

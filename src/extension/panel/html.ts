/**
 * The settings panel's HTML shell, with a strict Content Security Policy (VS Code webview guide, "Content security
 * policy"): nothing is allowed by default; the one script runs by nonce; styles, fonts and images load only from
 * the webview's own resource origin (`webview.cspSource`, i.e. files under `localResourceRoots` served through
 * `asWebviewUri`). No inline script and no inline style: the UI (dist/webview.js) builds the DOM, and
 * `@vscode-elements/elements` style their shadow roots with constructable stylesheets (`adoptedStyleSheets`), which
 * CSP does not govern. No `vscode` import: unit-tested directly.
 */
import { randomBytes } from 'node:crypto';

/** Inputs of {@link panelHtml}; URIs are already `asWebviewUri`-converted strings. */
export interface PanelHtmlOptions {
  /** `webview.cspSource` (the origin of local resources in this webview). */
  cspSource: string;
  /** A fresh nonce per page (see {@link makeNonce}). */
  nonce: string;
  /** URI of dist/webview.js. */
  scriptUri: string;
  /** URI of dist/webview.css (the panel's styles plus the codicon font face). */
  styleUri: string;
  /** Page title (for screen readers). */
  title?: string;
}

/** 128 bits from the OS's CSPRNG, base64: a nonce for `script-src 'nonce-...'` (CSP3 requires unguessable). */
export function makeNonce(): string {
  return randomBytes(16).toString('base64');
}

/** Escapes text for an HTML attribute value or text node. */
function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** The Content-Security-Policy of the panel (the meta tag's `content`). */
export function panelCsp(cspSource: string, nonce: string): string {
  return [
    "default-src 'none'",
    `img-src ${cspSource} data:`,
    `style-src ${cspSource}`,
    `font-src ${cspSource}`,
    `script-src 'nonce-${nonce}'`,
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
}

/**
 * The whole page. The stylesheet link has the id `vscode-codicon-stylesheet`: `vscode-icon` (vscode-elements)
 * copies that link into its shadow root to draw codicons.
 */
export function panelHtml(o: PanelHtmlOptions): string {
  const title = esc(o.title ?? 'Codex Gateway Settings');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${esc(panelCsp(o.cspSource, o.nonce))}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" id="vscode-codicon-stylesheet" href="${esc(o.styleUri)}">
<title>${title}</title>
</head>
<body>
<main id="app" aria-busy="true"><p class="loading">Loading Codex Gateway settings…</p></main>
<script nonce="${esc(o.nonce)}" src="${esc(o.scriptUri)}"></script>
</body>
</html>
`;
}

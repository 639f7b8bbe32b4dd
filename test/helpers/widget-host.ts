/**
 * A third-party host page for the widget's browser tests: a tiny node:http server on its own 127.0.0.1 port
 * (so its origin differs from Parley's), serving pages that embed `widget.js` with one tag, under the strict
 * Content-Security-Policy an integrator would use (no 'unsafe-inline').
 */
import { createServer, type Server } from 'node:http';
import type { Page } from 'playwright-core';
import { pickLocale } from '../../widget/src/i18n/locales.js';

export interface HostPageOptions {
  /** Parley's origin: the only origin the CSP allows, and where `widget.js` comes from. */
  parley: string;
  /** Without a code the page has no widget tag at all (a control page for "what did the widget add"). */
  code?: string | null;
  /** Extra `data-*` attributes of the tag, e.g. `{ locale: 'ar', position: 'left' }`. */
  data?: Record<string, string>;
  /** False serves the page without any CSP header. */
  csp?: boolean;
  /** A host link before the widget, to tab from. */
  hostLink?: boolean;
}

export interface HostServer {
  origin: string;
  /** Registers a page and answers its URL. */
  page(options: HostPageOptions): string;
  close(): Promise<void>;
}

const escapeAttribute = (value: string) => value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');

/**
 * A strict host-page policy (README.md, The widget): only Parley's origin may provide scripts,
 * styles and connections.
 */
export function strictCsp(parley: string): string {
  return `default-src 'none'; script-src ${parley}; style-src ${parley}; connect-src ${parley}; img-src ${parley} data:`;
}

function html(options: HostPageOptions): string {
  const data = Object.entries(options.data ?? {})
    .map(([key, value]) => ` data-${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}="${escapeAttribute(value)}"`)
    .join('');
  const tag = options.code ? `<script defer data-external-auth-code="${escapeAttribute(options.code)}"${data} src="${options.parley}/widget.js"></script>` : '';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Host page</title>
<link rel="icon" href="data:,">
</head>
<body>
<main>
<h1>A third-party host page</h1>
<p>Some content of the integrator's product.</p>
${options.hostLink ? '<p><a href="#top" id="host-link">A link of the host</a></p>' : ''}
</main>
${tag}
</body>
</html>
`;
}

const en = pickLocale('en', []).strings;

/** The widget's parts on a host page, in English (playwright's CSS locators pierce its open shadow root). */
export const widgetParts = {
  launcher: (page: Page) => page.locator('[data-parley-widget] button.launcher'),
  panel: (page: Page) => page.locator('[data-parley-widget] .panel'),
  items: (page: Page) => page.locator('[data-parley-widget] ol.messages li.msg'),
  composer: (page: Page) => page.getByRole('textbox', { name: en.composerLabel, exact: true }),
};

/** Starts a host server on a free port of 127.0.0.1. */
export async function startHostServer(): Promise<HostServer> {
  const pages = new Map<string, HostPageOptions>();
  const server: Server = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://host').pathname;
    const options = pages.get(path);
    if (request.method !== 'GET' || !options) {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    response.writeHead(200, {
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-store',
      ...(options.csp === false ? {} : { 'content-security-policy': strictCsp(options.parley) }),
    });
    response.end(html(options));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('the host server has no port');
  const origin = `http://127.0.0.1:${address.port}`;
  return {
    origin,
    page(options) {
      const path = `/page-${pages.size + 1}`;
      pages.set(path, options);
      return origin + path;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

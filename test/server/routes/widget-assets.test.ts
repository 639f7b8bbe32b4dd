import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PUBLIC_DIR } from '../../../server/src/paths.js';
import { readManifest } from '../../../server/src/routes/pages/index.js';
import { createTestApp, PUBLIC_URL, type TestApp } from '../../helpers/app.js';

/** What a host page downloads before the launcher shows: the loader, brotli as sent. */
const LOADER_BUDGET_BYTES = 6 * 1024;
/**
 * Everything it downloads before the panel is usable: the loader, its stylesheet, the panel's script, the
 * chunk that script imports, the panel's stylesheet and locale table. The open conversation's view (the
 * message list, Markdown, files, the streamed reply) is a chunk of its own, fetched once the panel runs.
 */
const WIDGET_BUDGET_BYTES = 25 * 1024;

describe('the embed assets', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await createTestApp({ env: { PARLEY_ALLOWED_ORIGINS: 'https://app.example.com' } });
  });
  afterEach(async () => {
    await t.close();
  });

  /** The bytes of the body the server sends for `url` in `coding` (it must be sent in that coding). */
  const sentBytes = async (url: string, coding: 'br' | 'gzip') => {
    const res = await t.app.inject({ method: 'GET', url, headers: { 'accept-encoding': coding } });
    expect(res.statusCode, url).toBe(200);
    expect(res.headers['content-encoding'], url).toBe(coding);
    return res.rawPayload.length;
  };

  it('the loader the server sends fits in 6 KB brotli', async () => {
    const br = await sentBytes('/widget.js', 'br');
    const gzip = await sentBytes('/widget.js', 'gzip');
    console.log(`widget.js on the wire: ${br} bytes br, ${gzip} bytes gzip (budget ${LOADER_BUDGET_BYTES} br)`);
    expect(br).toBeLessThanOrEqual(LOADER_BUDGET_BYTES);
  });

  it('the loader, its stylesheet, the panel (script, shared chunk, stylesheet) and its largest locale table the server sends fit in 25 KB brotli', async () => {
    const manifest = readManifest(PUBLIC_DIR);
    const missing = ['panel.js', 'panel-shared.js', 'panel-thread.js', 'panel.css', 'locale-en.js', 'locale-fr.js', 'locale-ar.js'].filter((key) => manifest[key] === undefined);
    expect(missing, `dist/public/manifest.json names no ${missing.join(' or ')}: the budget counts the panel's script, stylesheet and locale table, served under /assets/`).toEqual([]);
    const measure = async (url: string) => ({ url, br: await sentBytes(url, 'br'), gzip: await sentBytes(url, 'gzip') });
    const sizes = [];
    for (const url of ['/widget.js', '/widget.css', manifest['panel.js']!, manifest['panel-shared.js']!, manifest['panel.css']!]) sizes.push(await measure(url));
    // A page downloads the table of one locale: count the largest.
    const tables = [];
    for (const code of ['en', 'fr', 'ar']) tables.push(await measure(manifest[`locale-${code}.js`]!));
    sizes.push(tables.reduce((a, b) => (b.br > a.br ? b : a)));
    const total = { br: sizes.reduce((sum, s) => sum + s.br, 0), gzip: sizes.reduce((sum, s) => sum + s.gzip, 0) };
    console.log(`on the wire: ${sizes.map((s) => `${s.url} ${s.br} br / ${s.gzip} gzip`).join(', ')}; total ${total.br} bytes br, ${total.gzip} bytes gzip (budget ${WIDGET_BUDGET_BYTES} br)`);
    expect(total.br).toBeLessThanOrEqual(WIDGET_BUDGET_BYTES);
  });

  it('/widget.js has a content-hash ETag, a short cache and answers 304 when unchanged', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/widget.js' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(res.headers['cache-control']).toBe('public, max-age=300');
    expect(res.headers['cross-origin-resource-policy']).toBe('cross-origin');
    expect(res.headers['etag']).toMatch(/^"[A-Za-z0-9_-]{22}"$/);
    expect(res.body).toBe(readFileSync(join(PUBLIC_DIR, 'widget.js'), 'utf8'));
    const again = await t.app.inject({ method: 'GET', url: '/widget.js', headers: { 'if-none-match': res.headers['etag'] as string } });
    expect(again.statusCode).toBe(304);
    expect(again.body).toBe('');
    const css = await t.app.inject({ method: 'GET', url: '/widget.css' });
    expect(css.headers['content-type']).toBe('text/css; charset=utf-8');
    expect(css.headers['etag']).not.toBe(res.headers['etag']);
  });

  it('answers CORS preflight for allowed origins only', async () => {
    const preflight = (origin: string) =>
      t.app.inject({
        method: 'OPTIONS',
        url: '/api/v1/auth/exchange',
        headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
      });
    const allowed = await preflight('https://app.example.com');
    expect(allowed.statusCode).toBe(204);
    expect(allowed.headers['access-control-allow-origin']).toBe('https://app.example.com');
    expect(String(allowed.headers['access-control-allow-headers'])).toContain('Authorization');
    const refused = await t.app.inject({
      method: 'OPTIONS',
      url: '/api/v1/conversations',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization' },
    });
    expect(refused.headers['access-control-allow-origin']).toBeUndefined();
    // The exchange answers any origin's preflight so that the refusal itself is readable by the widget.
    expect((await preflight('https://evil.example')).headers['access-control-allow-origin']).toBe('https://evil.example');
    const exchange = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/exchange',
      headers: { origin: 'https://evil.example' },
      payload: { externalAuthCode: await t.sign({ user: { id: 'a' } }) },
    });
    expect(exchange.statusCode).toBe(403);
    expect(exchange.json().error.code).toBe('origin_not_allowed');
    expect(exchange.headers['access-control-allow-origin']).toBe('https://evil.example');
  });

  it('/demo embeds the widget with a token for the demo user on a local instance', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/demo' });
    expect(res.statusCode).toBe(200);
    const token = /data-external-auth-code="([^"]+)"/.exec(res.body)![1]!;
    expect(res.body).toContain(`src="${PUBLIC_URL}/widget.js"`);
    expect(res.headers['content-security-policy']).toContain(`script-src ${PUBLIC_URL}`);
    const exchange = await t.app.inject({ method: 'POST', url: '/api/v1/auth/exchange', payload: { externalAuthCode: token } });
    expect(exchange.json().user).toMatchObject({ externalId: 'demo-user', name: 'Demo User' });
  });

  it('/demo does not exist when the instance listens beyond loopback, even with a loopback public URL', async () => {
    await t.close();
    t = await createTestApp({ env: { HOST: '0.0.0.0', PUBLIC_URL: '' } });
    const res = await t.app.inject({ method: 'GET', url: '/demo' });
    expect(res.statusCode).toBe(404);
  });

  it('/demo does not exist on a deployed (non-loopback) instance', async () => {
    await t.close();
    t = await createTestApp({ env: { PUBLIC_URL: 'https://chat.example.com' } });
    const res = await t.app.inject({ method: 'GET', url: '/demo' });
    expect(res.statusCode).toBe(404);
    expect(res.body).not.toContain('data-external-auth-code');
  });
});

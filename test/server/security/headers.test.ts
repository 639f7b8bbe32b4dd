import { afterEach, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../helpers/app.js';
import { openHostedPage } from '../../helpers/hosted-page.js';

describe('hardened responses', () => {
  let t: TestApp;
  afterEach(async () => {
    await t.close();
  });

  it('pages carry a CSP without unsafe-inline/unsafe-eval, frame-ancestors of the allowed origins, nosniff, no X-Powered-By', async () => {
    t = await createTestApp({ env: { PARLEY_ALLOWED_ORIGINS: 'https://app.example.com' } });
    const pages = [
      await t.app.inject({ method: 'GET', url: '/' }),
      await openHostedPage(t.app, '/?externalAuthCode=bad'),
      await t.app.inject({ method: 'GET', url: '/nope', headers: { accept: 'text/html' } }),
      await t.app.inject({ method: 'GET', url: '/demo' }),
    ];
    for (const res of pages) {
      const csp = String(res.headers['content-security-policy']);
      expect(csp, res.body.slice(0, 80)).toMatch(/default-src 'none'/);
      expect(csp).not.toMatch(/unsafe-inline|unsafe-eval/);
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['x-powered-by']).toBeUndefined();
      expect(res.headers['strict-transport-security']).toBeUndefined();
    }
    expect(String(pages[0]!.headers['content-security-policy'])).toContain("frame-ancestors 'self' https://app.example.com");
    expect(String(pages[1]!.headers['content-security-policy'])).toContain("frame-ancestors 'self' https://app.example.com");
    const api = await t.app.inject({ method: 'GET', url: '/api/v1/me' });
    expect(api.headers['x-content-type-options']).toBe('nosniff');
  });

  it('sends HSTS under https', async () => {
    t = await createTestApp({ env: { PUBLIC_URL: 'https://chat.example.com' } });
    const res = await t.app.inject({ method: 'GET', url: '/healthz' });
    expect(res.headers['strict-transport-security']).toBe('max-age=31536000; includeSubDomains');
  });

  it('refuses a body above 64 KB with 413 and never shows a stack trace', async () => {
    t = await createTestApp();
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/auth/exchange', payload: { externalAuthCode: 'x'.repeat(70_000) } });
    expect(res.statusCode).toBe(413);
    expect(res.json()).toEqual({ error: { code: 'payload_too_large', message: 'The request body is too large.' } });
    expect(res.body).not.toMatch(/at .*\.(ts|js):\d+/);
  });
});

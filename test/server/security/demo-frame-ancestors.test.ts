/** `/demo` may be framed only where every other page may: its CSP carries frame-ancestors too. */
import { afterEach, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../helpers/app.js';

describe('/demo framing', () => {
  let t: TestApp;
  afterEach(async () => {
    await t.close();
  });

  it('the demo host page sends frame-ancestors of Parley and the allowed origins', async () => {
    t = await createTestApp({ env: { PARLEY_ALLOWED_ORIGINS: 'https://app.example.com' } });
    const res = await t.app.inject({ method: 'GET', url: '/demo' });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('<h1>A host page</h1>');
    expect(res.headers['content-security-policy']).toBe(
      "default-src 'none'; script-src http://127.0.0.1:3000; style-src http://127.0.0.1:3000; connect-src http://127.0.0.1:3000; img-src http://127.0.0.1:3000 https: data:; base-uri 'none'; form-action 'none'; frame-ancestors 'self' https://app.example.com",
    );
  });

  it('so do its other answers (no key yet, not a local instance)', async () => {
    t = await createTestApp({ env: { PARLEY_EXTERNAL_AUTH_SECRET: '' } });
    const keyless = await t.app.inject({ method: 'GET', url: '/demo' });
    expect(keyless.statusCode).toBe(200);
    expect(keyless.body).toContain('No signing key yet');
    expect(keyless.headers['content-security-policy']).toBe("default-src 'none'; style-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'self'");
    await t.close();
    t = await createTestApp({ env: { PUBLIC_URL: 'https://chat.example.com' } });
    const elsewhere = await t.app.inject({ method: 'GET', url: '/demo' });
    expect(elsewhere.statusCode).toBe(404);
    expect(elsewhere.headers['content-security-policy']).toBe("default-src 'none'; style-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'self'");
  });
});

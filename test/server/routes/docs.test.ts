import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../helpers/app.js';

describe('the API description', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await createTestApp();
  });
  afterEach(async () => {
    await t.close();
  });

  it('/docs/openapi.json describes every API route with the schemas the routes use', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/docs/openapi.json' });
    expect(res.statusCode).toBe(200);
    const spec = res.json();
    expect(spec.openapi).toBe('3.0.3');
    const operations = Object.entries(spec.paths as Record<string, Record<string, unknown>>).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`));
    for (const op of [
      'POST /api/v1/auth/exchange',
      'GET /api/v1/me',
      'GET /api/v1/conversations',
      'POST /api/v1/conversations/{id}/messages',
      'GET /api/v1/admin/users',
      'POST /api/v1/admin/users',
      'GET /api/v1/admin/users/{id}',
      'PATCH /api/v1/admin/users/{id}',
      'DELETE /api/v1/admin/users/{id}',
      'POST /api/v1/admin/users/{id}/deactivate',
      'POST /api/v1/admin/users/{id}/reactivate',
      'GET /api/v1/admin/keys',
      'POST /api/v1/admin/keys',
      'POST /api/v1/admin/keys/{kid}/retire',
      'GET /api/v1/admin/settings',
      'PATCH /api/v1/admin/settings',
      'GET /api/v1/admin/audit',
      'GET /api/v1/admin/api-keys',
    ]) {
      expect(operations, op).toContain(op);
    }
    expect(operations.some((op) => op.includes('/assets') || op.includes('/widget.js'))).toBe(false);
    const users = spec.paths['/api/v1/admin/users'].get;
    expect(Object.keys(users.responses['200'].content['application/json'].schema.properties)).toEqual(['users', 'nextCursor', 'total']);
    expect(Object.keys(spec.paths['/api/v1/auth/exchange'].post.requestBody.content['application/json'].schema.properties)).toEqual(['externalAuthCode', 'page']);
  });

  it('/docs renders it as a readable page with no script', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/docs' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.body).toContain('<code>GET /api/v1/admin/users</code>');
    expect(res.body).toContain('Response 200');
    expect(res.body).not.toContain('<script');
    expect(String(res.headers['content-security-policy'])).toContain("default-src 'none'");
  });
});

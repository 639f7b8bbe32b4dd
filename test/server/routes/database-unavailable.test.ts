/**
 * The one error handler answers a database that cannot be reached as 503 `database_unavailable` with a
 * Retry-After: JSON for the API, an HTML error page for pages (the hosted page's sign-in included); any other
 * unexpected failure stays a 500 `internal_error`.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createTestApp, type TestApp } from '../../helpers/app.js';
import { followSignInFailure } from '../../helpers/hosted-page.js';

const busy = () => Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' });
const refused = () => new AggregateError([Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' })]);

describe('a request while the database is unavailable', () => {
  let t: TestApp;
  let auth: Record<string, string>;
  beforeEach(async () => {
    t = await createTestApp();
    const exchange = await t.app.inject({ method: 'POST', url: '/api/v1/auth/exchange', payload: { externalAuthCode: await t.sign({ user: { id: 'alice' } }) } });
    auth = { authorization: `Bearer ${exchange.json().session.token}` };
  });
  afterEach(async () => {
    vi.restoreAllMocks();
    await t.close();
  });

  it.each([
    ['SQLITE_BUSY', busy],
    ['ECONNREFUSED from every address', refused],
  ])('an API request answers 503 database_unavailable with a Retry-After (%s)', async (_name, error) => {
    vi.spyOn(t.app.services.chat, 'listConversations').mockRejectedValue(error());
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/conversations', headers: auth });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toEqual({ error: { code: 'database_unavailable', message: 'The database cannot be reached right now. Try again shortly.' } });
    expect(res.headers['retry-after']).toBe('2');
    expect(res.headers['cache-control']).toBe('no-store');
    expect(t.logs.some((line) => line.includes('"level":40') && line.includes('database unavailable'))).toBe(true);
  });

  it('the session check answers 503 too, not 401 or 500', async () => {
    vi.spyOn(t.app.services.sessions, 'findValid').mockRejectedValue(busy());
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/me', headers: auth });
    expect(res.statusCode).toBe(503);
    expect(res.json().error.code).toBe('database_unavailable');
  });

  it('the hosted page sign-in leaves the address bar without the code and shows a 503 HTML page there', async () => {
    vi.spyOn(t.app.services, 'signIn').mockRejectedValue(busy());
    const code = await t.sign({ user: { id: 'bob' } });
    const first = await t.app.inject({ method: 'GET', url: `/?externalAuthCode=${code}` });
    expect([first.statusCode, first.headers['location']]).toEqual([303, '/']);
    const res = await followSignInFailure(t.app, first);
    expect(res.statusCode).toBe(503);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.headers['retry-after']).toBe('2');
    expect(res.body).toContain('data-code="database_unavailable"');
    expect(res.body).not.toContain(code);
  });

  it('an unexpected failure is still a 500 internal_error', async () => {
    vi.spyOn(t.app.services.chat, 'listConversations').mockRejectedValue(new TypeError('a bug'));
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/conversations', headers: auth });
    expect(res.statusCode).toBe(500);
    expect(res.json()).toEqual({ error: { code: 'internal_error', message: 'Something went wrong on our side.' } });
    expect(res.headers['retry-after']).toBeUndefined();
  });
});

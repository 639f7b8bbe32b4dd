/**
 * Property-based fuzzing of every route of the real app (fast-check): random bodies, headers, query
 * strings, path parameters and signed tokens with arbitrary claims, from an anonymous and a signed-in caller.
 * Whatever arrives, the answer is below 500, an /api/ error is exactly `{"error":{"code","message"}}`, and no
 * body carries a stack trace or a library's error text.
 */
import { createHash, randomInt } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LightMyRequestResponse } from 'fastify';
import { createTestApp, PUBLIC_URL, TEST_SECRET, type TestApp } from '../helpers/app.js';
import { b64u, forge } from '../helpers/attack-tokens.js';

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'HEAD' | 'OPTIONS';
interface FuzzRequest {
  method: Method;
  url: string;
  headers: Record<string, string>;
  payload?: string | Buffer;
}

const RUNS = { body: 300, headers: 300, query: 300, params: 250, events: 200, tokens: 250 };
// A fresh random seed per run (never the clock), printed; PARLEY_FUZZ_SEED replays one.
const SEED = Number(process.env['PARLEY_FUZZ_SEED'] ?? randomInt(2 ** 31));
/** Each target's own seed, derived from the run's seed and the target's name, so no two targets share one. */
const seedOf = (name: string) => (SEED ^ createHash('sha256').update(name).digest().readUInt32BE(0)) >>> 1;

let t: TestApp;
let conversationId: string;
let foreignConversationId: string;
let messageId: string;
let sharedBearer: string;
let sharedCookie: string;
let runs = 0;
let requests = 0;
let accepted = 0;
const statuses = new Map<number, number>();

let ipCounter = 0;
const nextIp = () => {
  ipCounter++;
  return `10.${(ipCounter >> 16) & 255}.${(ipCounter >> 8) & 255}.${ipCounter & 255}`;
};

async function exchangeFor(userId: string): Promise<string> {
  const res = await t.app.inject({ method: 'POST', url: '/api/v1/auth/exchange', payload: { externalAuthCode: await t.sign({ user: { id: userId } }) }, remoteAddress: nextIp() });
  expect(res.statusCode).toBe(200);
  return res.json().session.token as string;
}

// ─────────────────────────────────────────── the oracle ───────────────────────────────────────────

// "    at fn (/path/file.ts:12:34)", "at file:///x.js:1:2", "node_modules/", "TypeError: …" and friends.
const STACK_TRACE = [/\bat (?:\S+ )?\(?(?:file:\/\/|\/|[A-Za-z]:\\)\S+:\d+:\d+\)?/, /node_modules[\\/]/, /\.(?:ts|mjs|cjs):\d+/, /\b[A-Z][A-Za-z]*Error: /, /\bError: /, /\bFST_[A-Z_]+/];

function checkResponse(req: FuzzRequest, res: LightMyRequestResponse) {
  const label = `${req.method} ${req.url.slice(0, 300)} ${JSON.stringify(req.headers).slice(0, 300)} → ${res.statusCode} ${res.body.slice(0, 300)}`;
  expect(res.statusCode, label).toBeLessThan(500);
  const type = String(res.headers['content-type'] ?? '');
  const path = req.url.split('?')[0]!;
  if (path.startsWith('/api/') && res.statusCode >= 400 && req.method !== 'HEAD') {
    expect(type, label).toMatch(/^application\/json/);
    const body = JSON.parse(res.body) as unknown;
    expect(body, label).toEqual({ error: { code: expect.any(String), message: expect.any(String) } });
    expect(Object.keys(body as object), label).toEqual(['error']);
    expect(Object.keys((body as { error: object }).error).sort(), label).toEqual(['code', 'message']);
  }
  // The widget bundle is code: it legitimately contains "Error:" and friends.
  if (!/javascript|css/.test(type)) for (const pattern of STACK_TRACE) expect(res.body, `${label}: ${pattern}`).not.toMatch(pattern);
}

async function send(req: FuzzRequest): Promise<LightMyRequestResponse> {
  requests++;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within 5 s (a stream?): ${req.method} ${req.url.slice(0, 200)}`)), 5000);
  });
  try {
    const res = await Promise.race([
      t.app.inject({ method: req.method, url: req.url, headers: req.headers, remoteAddress: nextIp(), ...(req.payload === undefined ? {} : { payload: req.payload }) }),
      timeout,
    ]);
    statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
    checkResponse(req, res);
    return res;
  } finally {
    clearTimeout(timer);
  }
}

async function property<T>(name: string, numRuns: number, arb: fc.Arbitrary<T>, run: (value: T) => Promise<void>) {
  await fc.assert(
    fc.asyncProperty(arb, async (value) => {
      runs++;
      await run(value);
    }),
    { numRuns, seed: seedOf(name), endOnFailure: true },
  );
}

// ────────────────────────────────────────── arbitraries ──────────────────────────────────────────

/** Header values a real HTTP parser would hand over: printable Latin-1 (obs-text included). */
const latin1 = (maxLength = 80) =>
  fc.string({ unit: fc.integer({ min: 0x20, max: 0xff }).filter((c) => c !== 0x7f).map((c) => String.fromCharCode(c)), maxLength });
const base64urlText = (maxLength = 60) => fc.string({ unit: fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'), maxLength });

type Caller = 'anonymous' | 'bearer' | 'cookie' | 'cookie+origin' | 'garbage';
const caller = fc.constantFrom<Caller>('anonymous', 'bearer', 'cookie', 'cookie+origin', 'garbage');

const authorization = fc.oneof(
  latin1(),
  latin1().map((s) => `Bearer ${s}`),
  base64urlText(130).map((s) => `Bearer pss_${s}`),
  base64urlText(40).map((s) => `Basic ${s}`),
  fc.constantFrom('Bearer', 'Bearer ', 'bearer pss_x', 'Bearer  pss_x', `Bearer ${'a'.repeat(129)}`, 'Bearer pss_x, Bearer pss_y', 'Digest username="a"', 'Bearer null', 'Bearer undefined'),
);
const cookieHeader = fc.oneof(
  latin1(),
  latin1().map((s) => `parley_session=${s}`),
  base64urlText(50).map((s) => `parley_session=pss_${s}; parley_session=${s}`),
  fc.constantFrom('parley_session', 'parley_session=', '=;=;', 'parley_session=%zz', 'parley_session="pss_x"', '__proto__=1; constructor=2', `parley_session=${'x'.repeat(5000)}`),
);
const origin = fc.oneof(latin1(40), fc.constantFrom('null', 'http://evil.example', PUBLIC_URL, `${PUBLIC_URL}/`, 'HTTP://127.0.0.1:3000', 'http://127.0.0.1:3000.evil.example', 'http://127.0.0.1:3000@evil.example', '*', ''));
const contentType = fc.oneof(
  fc.constantFrom(
    'application/json',
    'application/json; charset=utf-8',
    'application/json;charset=UTF-8',
    'APPLICATION/JSON',
    'application/json; charset=latin1',
    'application/json; charset=utf-16',
    'application/json; boundary=;;;',
    'application/json, text/plain',
    'text/plain',
    'text/plain; charset=utf-8',
    'text/html',
    'application/x-www-form-urlencoded',
    'multipart/form-data; boundary=xyz',
    'application/jsonp',
    'application/vnd.api+json',
    'application/octet-stream',
    '*/*',
    ';',
    '',
  ),
  latin1(40),
);
const lastEventId = fc.oneof(latin1(30), fc.constantFrom('-1', '1e3', '0x10', '9999999999999999', '1.5', ' ', 'NaN', '١٢٣'));

const headerBag = fc.record(
  {
    authorization,
    cookie: cookieHeader,
    origin,
    'content-type': contentType,
    accept: fc.oneof(latin1(30), fc.constantFrom('text/html', 'application/json', '*/*', 'text/event-stream')),
    'last-event-id': lastEventId,
    'if-none-match': latin1(30),
    'x-forwarded-for': latin1(30),
    'accept-language': latin1(30),
    referer: latin1(60),
  },
  { requiredKeys: [] },
);

/** JSON text of anything, or nothing when JSON.stringify has nothing to say. */
const jsonOf = (value: unknown): string | undefined => {
  try {
    return JSON.stringify(value);
  } catch {
    return undefined;
  }
};

const body = fc.oneof(
  { weight: 4, arbitrary: fc.anything().map(jsonOf) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 200 }) },
  { weight: 2, arbitrary: fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)) },
  { weight: 3, arbitrary: fc.record({ externalAuthCode: fc.oneof(fc.string(), fc.anything(), base64urlText(80)) }, { requiredKeys: [] }).map(jsonOf) },
  { weight: 3, arbitrary: fc.record({ text: fc.oneof(fc.string({ maxLength: 50 }), fc.anything()), clientMessageId: fc.oneof(base64urlText(20), fc.string(), fc.anything()), extra: fc.anything() }, { requiredKeys: [] }).map(jsonOf) },
  { weight: 2, arbitrary: fc.record({ title: fc.oneof(fc.string({ maxLength: 250 }), fc.anything()) }, { requiredKeys: [] }).map(jsonOf) },
  { weight: 1, arbitrary: fc.constantFrom('{"__proto__":{"externalAuthCode":"x"}}', '{"constructor":{"prototype":{"text":"x"}}}', '{"text":"x","text":"y","clientMessageId":"a","clientMessageId":"b"}', '[]', 'null', '', ' ', '{', '"', '\u0000', '{"a":1e400}', `${'['.repeat(5000)}${']'.repeat(5000)}`) },
  { weight: 1, arbitrary: fc.constantFrom(64 * 1024 - 40, 64 * 1024, 64 * 1024 + 1, 200 * 1024).map((n) => `{"externalAuthCode":"${'a'.repeat(n)}","text":"x","clientMessageId":"c"}`) },
  { weight: 1, arbitrary: fc.constantFrom(9_999, 10_000, 10_001, 40_000).map((n) => JSON.stringify({ text: 'é'.repeat(n), clientMessageId: `c${n}` })) },
  { weight: 1, arbitrary: fc.constant(undefined) },
);

/** A percent-encoded or raw query fragment that stays a valid URL character sequence. */
const queryChunk = fc.oneof(
  fc.string({ maxLength: 40 }).map(encodeURIComponent),
  fc.string({ unit: 'binary', maxLength: 20 }).map((s) => encodeURIComponent(s.replace(/[\ud800-\udfff]/g, ''))),
  fc.string({ unit: fc.constantFrom(...'abcXYZ019-._~!$\'()*+,;=:@/?'), maxLength: 20 }),
  fc.constantFrom('%', '%%', '%zz', '%C0%AF', '%00', '%E2%82', '%FF', '%ED%A0%80', '+', '%2B', '%26', '%3D', '%0A', '%0D%0A', '%23', '%25', 'MSG'),
  base64urlText(40).chain((h) => base64urlText(40).map((p) => `${h}.${p}.${'A'.repeat(43)}`)),
  fc.tuple(fc.anything(), fc.anything()).map(([h, p]) => `${b64u(jsonOf(h) ?? '')}.${b64u(jsonOf(p) ?? '')}.${b64u(new Uint8Array(32))}`),
  fc.tuple(fc.stringMatching(/^\d{1,18}$/), base64urlText(70)).map(([n, id]) => `${n}.${id}`),
  fc.constantFrom(9000, 70_000).map((n) => 'A'.repeat(n)),
);
const queryKey = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom('externalAuthCode', 'cursor', 'limit', 'before', 'lastEventId', 'tab') },
  { weight: 1, arbitrary: fc.constantFrom('externalAuth%43ode', '%65xternalAuthCode', 'externalAuthCode[]', 'externalAuthCode[a]', 'EXTERNALAUTHCODE', '__proto__', 'constructor', 'hasOwnProperty', '') },
  { weight: 1, arbitrary: queryChunk },
);
const queryString = fc
  .array(
    fc.oneof(
      { weight: 5, arbitrary: fc.tuple(queryKey, queryChunk).map(([k, v]) => `${k}=${v}`) },
      { weight: 1, arbitrary: queryKey },
      { weight: 1, arbitrary: fc.constant('') },
    ),
    { maxLength: 6 },
  )
  .map((parts) => parts.join('&'));

// Malformed percent-encoding and over-long parameters included: the router's own errors answer in the app's
// error shape too.
const pathParam = fc.oneof(
  fc.string({ maxLength: 60 }).map(encodeURIComponent),
  fc.string({ unit: 'binary', maxLength: 30 }).map((s) => encodeURIComponent(s.replace(/[\ud800-\udfff]/g, ''))),
  base64urlText(64),
  base64urlText(90),
  fc.constantFrom('%2e%2e', '..%2F..', '%2F', '%00', 'cnv_', 'usr_x', '__proto__', 'constructor', '%20', '.', '..', 'null', 'undefined', '1e400', '-1', 'a%2Fb', 'x'.repeat(65), 'x'.repeat(200), 'x'.repeat(301), '%zz', '%E2%82', '%', 'a%ZZb'),
  fc.constant('REAL'),
  fc.constant('FOREIGN'),
);
const realId = (p: string) => (p === 'REAL' ? conversationId : p === 'FOREIGN' ? foreignConversationId : p);

// ──────────────────────────────────────── the callers ────────────────────────────────────────

async function callerHeaders(who: Caller, fresh: boolean): Promise<Record<string, string>> {
  const session = fresh && who !== 'anonymous' && who !== 'garbage' ? await exchangeFor('fuzz-throwaway') : undefined;
  switch (who) {
    case 'anonymous':
      return {};
    case 'garbage':
      return { authorization: 'Bearer pss_notasession', cookie: 'parley_session=pss_notasession' };
    case 'bearer':
      return { authorization: `Bearer ${session ?? sharedBearer}` };
    case 'cookie':
      return { cookie: `parley_session=${session ?? sharedCookie}` };
    case 'cookie+origin':
      return { cookie: `parley_session=${session ?? sharedCookie}`, origin: PUBLIC_URL };
  }
}

interface Route {
  method: Method;
  path: string;
  /** Ends or changes the caller's session: run it with a throwaway one. */
  endsSession?: boolean;
}

const ROUTES: Route[] = [
  { method: 'GET', path: '/' },
  { method: 'GET', path: '/some/page' },
  { method: 'GET', path: '/healthz' },
  { method: 'GET', path: '/demo' },
  { method: 'GET', path: '/widget.js' },
  { method: 'GET', path: '/widget.css' },
  { method: 'POST', path: '/api/v1/auth/exchange' },
  { method: 'POST', path: '/api/v1/auth/email/start' },
  { method: 'POST', path: '/api/v1/auth/email/verify' },
  { method: 'GET', path: '/?emailSignIn=x' },
  { method: 'GET', path: '/api/v1/me' },
  { method: 'POST', path: '/api/v1/auth/logout', endsSession: true },
  { method: 'GET', path: '/api/v1/conversations' },
  { method: 'POST', path: '/api/v1/conversations' },
  { method: 'GET', path: '/api/v1/conversations/:id' },
  { method: 'GET', path: '/api/v1/conversations/:id/messages' },
  { method: 'POST', path: '/api/v1/conversations/:id/messages' },
  { method: 'POST', path: '/api/v1/conversations/:id/read' },
  { method: 'POST', path: '/api/v1/conversations/:id/typing' },
  { method: 'GET', path: '/api/v1/presence' },
  { method: 'GET', path: '/api/v1/me/email' },
  { method: 'PATCH', path: '/api/v1/me/email' },
  { method: 'GET', path: '/email/unsubscribe' },
  { method: 'POST', path: '/email/unsubscribe' },
  { method: 'GET', path: '/email/open' },
  { method: 'POST', path: '/admin/setup' },
  { method: 'GET', path: '/admin/setup' },
  { method: 'GET', path: '/api/v1/nope' },
];
const POST_ROUTES = ROUTES.filter((r) => r.method === 'POST');
const GET_ROUTES = ROUTES.filter((r) => r.method === 'GET');
const withId = (path: string, id: string) => path.replace(':id', id);

// ─────────────────────────────────────────── properties ───────────────────────────────────────────

beforeAll(async () => {
  // Email sign-in on (its routes parse their bodies either way; with it on they go further).
  t = await createTestApp({ env: { PARLEY_SEAT_LIMIT: '100000', PARLEY_SMTP_URL: 'smtp://127.0.0.1:9' } });
  await t.app.services.settings.update({ signInMethods: ['external', 'email'] });
  sharedBearer = await exchangeFor('fuzz-alice');
  const page = await t.app.inject({ method: 'GET', url: `/?externalAuthCode=${await t.sign({ user: { id: 'fuzz-alice' } })}`, remoteAddress: nextIp() });
  sharedCookie = page.cookies.find((c) => c.name === 'parley_session')!.value;
  const auth = { authorization: `Bearer ${sharedBearer}` };
  conversationId = (await t.app.inject({ method: 'POST', url: '/api/v1/conversations', headers: auth, payload: { title: 'Fuzz' } })).json().conversation.id;
  messageId = (await t.app.inject({ method: 'POST', url: `/api/v1/conversations/${conversationId}/messages`, headers: auth, payload: { text: 'hello', clientMessageId: 'seed-1' } })).json().message.id;
  const bob = { authorization: `Bearer ${await exchangeFor('fuzz-bob')}` };
  foreignConversationId = (await t.app.inject({ method: 'POST', url: '/api/v1/conversations', headers: bob, payload: { title: 'Private' } })).json().conversation.id;
});

afterAll(async () => {
  const histogram = [...statuses].sort(([a], [b]) => a - b).map(([s, n]) => `${s}×${n}`).join(' ');
  console.log(`route-fuzz: ${runs} fuzz runs (${requests} requests), seed ${SEED} (PARLEY_FUZZ_SEED to replay); ${accepted} fuzzed tokens signed in; statuses ${histogram}`);
  await t?.close();
});

describe('route fuzzing: never a 5xx, always the error contract, never a stack trace', () => {
  it('random bodies on every POST route, with random content types and callers', async () => {
    await property(
      'body',
      RUNS.body,
      fc.record({ route: fc.constantFrom(...POST_ROUTES), who: caller, type: fc.option(contentType, { nil: undefined }), body, id: pathParam }),
      async ({ route, who, type, body, id }) => {
        const headers = { ...(await callerHeaders(who, route.endsSession === true)), ...(type === undefined ? {} : { 'content-type': type }) };
        await send({ method: route.method, url: withId(route.path, realId(id)), headers, ...(body === undefined ? {} : { payload: body }) });
      },
    );
  });

  it('random headers and methods on every route', async () => {
    await property(
      'headers',
      RUNS.headers,
      fc.record({
        route: fc.constantFrom(...ROUTES),
        method: fc.option(fc.constantFrom<Method>('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'), { nil: undefined }),
        who: caller,
        garbage: headerBag,
        body: fc.option(body, { nil: undefined }),
      }),
      async ({ route, method, who, garbage, body }) => {
        const headers: Record<string, string> = { ...(await callerHeaders(who, true)), ...garbage };
        const chosen = method ?? route.method;
        // A GET with a valid session and a valid Last-Event-ID would be /events: not a route here, but keep it invalid anyway.
        if (headers['last-event-id'] !== undefined && /^\s*\d{1,15}\s*$/.test(headers['last-event-id'])) headers['last-event-id'] = 'x';
        // Bodies and content types go with every method (OPTIONS included): their errors answer through the
        // app's one error handler like any other.
        const bodyless = chosen === 'GET' || chosen === 'HEAD';
        await send({ method: chosen, url: withId(route.path, conversationId), headers, ...(body === undefined || bodyless ? {} : { payload: body }) });
      },
    );
  });

  it('random query strings on every GET route, externalAuthCode included', async () => {
    await property(
      'query',
      RUNS.query,
      fc.record({ route: fc.constantFrom(...GET_ROUTES), who: caller, query: queryString, accept: fc.constantFrom('text/html', 'application/json', '*/*') }),
      async ({ route, who, query, accept }) => {
        const headers = { ...(await callerHeaders(who, false)), accept };
        await send({ method: 'GET', url: `${withId(route.path, conversationId)}?${query.replace(/MSG/g, messageId)}`, headers });
      },
    );
  });

  it('random path parameters on the conversation routes', async () => {
    const paramRoutes = ROUTES.filter((r) => r.path.includes(':id'));
    await property(
      'params',
      RUNS.params,
      fc.record({ route: fc.constantFrom(...paramRoutes), who: caller, id: pathParam, query: fc.option(queryString, { nil: undefined }), body }),
      async ({ route, who, id, query, body }) => {
        const headers: Record<string, string> = { ...(await callerHeaders(who, false)), 'content-type': 'application/json' };
        const url = `${withId(route.path, realId(id))}${query === undefined ? '' : `?${query}`}`;
        await send({ method: route.method, url, headers, ...(route.method === 'POST' && body !== undefined ? { payload: body } : {}) });
      },
    );
  });

  it('GET /api/v1/events answers at once for a missing or bad session and for a bad Last-Event-ID', async () => {
    // Only the paths that answer immediately: a valid session always comes with an invalid Last-Event-ID.
    const invalidLastEventId = lastEventId.filter((s) => s.trim() !== '' && !/^\d{1,15}$/.test(s.trim()) && !/^\d{1,15}$/.test(s));
    await property(
      'events',
      RUNS.events,
      fc.record({ who: caller, lastEventId: invalidLastEventId, garbage: fc.record({ authorization, cookie: cookieHeader, origin, accept: latin1(30) }, { requiredKeys: [] }), query: fc.option(queryString, { nil: undefined }) }),
      async ({ who, lastEventId, garbage, query }) => {
        const headers: Record<string, string> = { ...(await callerHeaders(who, false)), ...garbage, 'last-event-id': lastEventId };
        const res = await send({ method: 'GET', url: `/api/v1/events${query === undefined ? '' : `?${query}`}`, headers });
        expect(res.statusCode).toBeGreaterThanOrEqual(400);
      },
    );
  });

  it('tokens signed with the real secret but arbitrary headers and claims, through both doors', async () => {
    const now = () => Math.floor(t.clock.now / 1000);
    /** A plausible value five times in six, anything else the sixth. */
    const mostly = <A, B>(plausible: fc.Arbitrary<A>, odd: fc.Arbitrary<B>) => fc.oneof({ weight: 5, arbitrary: plausible }, { weight: 1, arbitrary: odd });
    const relative = (min: number, max: number) => fc.integer({ min, max }).map((d) => ({ rel: d }));
    const oddTime = fc.oneof(fc.anything().map((v) => ({ abs: v })), fc.double().map((v) => ({ abs: v })));
    // Mostly plausible times, so that many tokens get through and the account paths are fuzzed too.
    const expClaim = fc.oneof({ weight: 6, arbitrary: relative(1, 3600) }, { weight: 1, arbitrary: relative(-7200, 0) }, { weight: 1, arbitrary: oddTime });
    const pastClaim = fc.oneof({ weight: 6, arbitrary: relative(-3600, 30) }, { weight: 1, arbitrary: relative(31, 3600) }, { weight: 1, arbitrary: oddTime });
    const resolve = (c: { rel: number } | { abs: unknown } | undefined) => (c === undefined ? undefined : 'rel' in c ? now() + c.rel : c.abs);
    const userClaim = fc.oneof(
      { weight: 6, arbitrary: fc.record({ id: fc.oneof({ weight: 5, arbitrary: fc.string({ minLength: 1, maxLength: 20 }).map((s) => `fz-${s}`) }, { weight: 1, arbitrary: fc.anything() }), email: mostly(fc.emailAddress(), fc.oneof(fc.string(), fc.anything())), name: mostly(fc.string(), fc.anything()), avatarUrl: mostly(fc.webUrl(), fc.oneof(fc.string(), fc.anything())), plan: fc.anything() }, { requiredKeys: ['id'] }) },
      { weight: 1, arbitrary: fc.anything() },
    );
    const claims = fc.record(
      { user: userClaim, id: fc.oneof(fc.string(), fc.integer(), fc.anything()), email: fc.oneof(fc.emailAddress(), fc.anything()), exp: expClaim, iat: pastClaim, nbf: pastClaim, jti: mostly(fc.uuid(), fc.anything()), iss: mostly(fc.webUrl(), fc.anything()), extra: fc.anything() },
      { requiredKeys: ['exp'] },
    );
    const header = fc.record({ kid: mostly(fc.constant('env'), fc.anything()), typ: mostly(fc.constantFrom('JWT', 'jwt'), fc.anything()), cty: fc.anything(), x: fc.anything() }, { requiredKeys: [] });
    await property('tokens', RUNS.tokens, fc.record({ header, claims, path: fc.constantFrom('/', '/some/page') }), async ({ header, claims, path }) => {
      const payload = { ...claims, exp: resolve(claims.exp), iat: resolve(claims.iat), nbf: resolve(claims.nbf) };
      const token = forge({ alg: 'HS256', ...header }, jsonOf(payload) ?? '{}', { hmac: 'sha256', secret: TEST_SECRET });
      const page = await send({ method: 'GET', url: `${path}?externalAuthCode=${encodeURIComponent(token)}`, headers: { accept: 'text/html' } });
      const api = await send({ method: 'POST', url: '/api/v1/auth/exchange', headers: { 'content-type': 'application/json' }, payload: JSON.stringify({ externalAuthCode: token }) });
      expect([303, 413]).toContain(page.statusCode);
      expect([200, 401, 403, 409]).toContain(api.statusCode);
      // The same token gets the same verdict at both doors (a success sets the session cookie on the page's
      // 303, a failure the short-lived error cookie; the API answers 200 or the error).
      const signedIn = page.cookies.some((c) => c.name === 'parley_session');
      expect(signedIn, `${page.statusCode} vs ${api.statusCode} ${api.body.slice(0, 200)}`).toBe(api.statusCode === 200);
      if (page.statusCode === 303 && !signedIn) expect(page.cookies.find((c) => c.name === 'parley_sign_in_error')?.value).toBe(api.json().error.code);
      if (api.statusCode === 200) {
        accepted++;
        const user = (payload as { user?: unknown }).user;
        if (typeof user === 'object' && user !== null && !Array.isArray(user)) expect(api.json().user.externalId).toBe((user as { id: unknown }).id);
      }
    });
  });
});

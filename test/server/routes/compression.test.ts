/**
 * Bytes on the wire (docs/operations.md, Compression and caching): the embed files and /assets/ are sent as
 * the build precompressed them, by Accept-Encoding, each coding with its own ETag and 304; dynamic answers
 * over 1 KB are compressed per request; an event stream never is, nor is it held back.
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { PUBLIC_DIR } from '../../../server/src/paths.js';
import { readManifest } from '../../../server/src/routes/pages/index.js';
import { createTestApp, type TestApp } from '../../helpers/app.js';
import { DIALECTS } from '../../helpers/databases.js';

const decode = { br: brotliDecompressSync, gzip: gunzipSync } as const;
const onDisk = (path: string) => readFileSync(join(PUBLIC_DIR, path));

describe('the embed files', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  const get = (url: string, headers: Record<string, string> = {}, method: 'GET' | 'HEAD' = 'GET') => t.app.inject({ method, url, headers });

  describe.each([
    ['/widget.js', 'text/javascript; charset=utf-8'],
    ['/widget.css', 'text/css; charset=utf-8'],
  ])('%s', (url, type) => {
    const file = url.slice(1);
    const common = {
      'cache-control': 'public, max-age=300',
      'cross-origin-resource-policy': 'cross-origin',
      'x-content-type-options': 'nosniff',
      'access-control-allow-origin': '*',
      vary: 'Origin, accept-encoding',
    };
    let hash: string;

    it('without Accept-Encoding, and with identity, is sent as it is, under the bare content hash', async () => {
      for (const headers of [{}, { 'accept-encoding': 'identity' }, { 'accept-encoding': '' }, { 'accept-encoding': 'deflate' }] as Record<string, string>[]) {
        const res = await get(url, headers);
        expect(res.statusCode).toBe(200);
        expect(res.headers).toMatchObject({ ...common, 'content-type': type, 'content-length': String(onDisk(file).length) });
        expect(res.headers['content-encoding']).toBeUndefined();
        expect(res.headers['etag']).toMatch(/^"[A-Za-z0-9_-]{22}"$/);
        expect(res.rawPayload.equals(onDisk(file))).toBe(true);
        hash = (res.headers['etag'] as string).slice(1, -1);
      }
    });

    it.each([
      ['br', 'br', 'br'],
      ['br, gzip', 'br', 'br'],
      ['gzip, deflate, br', 'br', 'br'],
      ['gzip', 'gzip', 'gz'],
      ['br;q=0, gzip', 'gzip', 'gz'],
      ['br;q=0.5, gzip;q=0.8', 'gzip', 'gz'],
      ['*', 'br', 'br'],
    ] as const)('Accept-Encoding %j: the precompressed %s bytes, which decompress to the file', async (accept, coding, extension) => {
      const res = await get(url, { 'accept-encoding': accept });
      expect(res.statusCode).toBe(200);
      expect(res.headers).toMatchObject({
        ...common,
        'content-type': type,
        'content-encoding': coding,
        etag: `"${hash}-${coding}"`,
        'content-length': String(onDisk(`${file}.${extension}`).length),
      });
      expect(res.rawPayload.equals(onDisk(`${file}.${extension}`))).toBe(true);
      expect(decode[coding](res.rawPayload).equals(onDisk(file))).toBe(true);
    });

    it('q=0 refuses a coding; when every one is refused, identity is sent all the same', async () => {
      for (const accept of ['br;q=0, gzip;q=0', '*;q=0', 'identity;q=0, br;q=0, gzip;q=0', 'gzip;q=0, br;q=0, *']) {
        const res = await get(url, { 'accept-encoding': accept });
        expect(res.statusCode, accept).toBe(200);
        expect(res.headers['content-encoding'], accept).toBeUndefined();
        expect(res.headers['etag'], accept).toBe(`"${hash}"`);
        expect(res.rawPayload.equals(onDisk(file)), accept).toBe(true);
      }
    });

    it.each([
      ['br', 'br'],
      ['gzip', 'gzip'],
      ['identity', undefined],
    ] as const)('answers 304 to the %s representation\'s own ETag, and only to it', async (accept, coding) => {
      const etag = coding ? `"${hash}-${coding}"` : `"${hash}"`;
      for (const ifNoneMatch of [etag, `W/${etag}`, `"other", ${etag}`, '*']) {
        const res = await get(url, { 'accept-encoding': accept, 'if-none-match': ifNoneMatch });
        expect(res.statusCode, ifNoneMatch).toBe(304);
        expect(res.headers).toMatchObject({ ...common, etag });
        expect(res.headers['content-encoding']).toBeUndefined();
        expect(res.headers['content-length']).toBeUndefined();
        expect(res.rawPayload.length).toBe(0);
      }
      // Another coding's tag is another representation: the full answer.
      for (const other of [`"${hash}"`, `"${hash}-br"`, `"${hash}-gzip"`].filter((e) => e !== etag)) {
        const res = await get(url, { 'accept-encoding': accept, 'if-none-match': other });
        expect(res.statusCode, other).toBe(200);
        expect(res.headers['etag']).toBe(etag);
      }
    });

    it('answers HEAD like GET, without the body', async () => {
      for (const accept of ['br', 'gzip', 'identity']) {
        const got = await get(url, { 'accept-encoding': accept });
        const head = await get(url, { 'accept-encoding': accept }, 'HEAD');
        expect(head.statusCode).toBe(200);
        const { date: _a, ...getHeaders } = got.headers;
        const { date: _b, ...headHeaders } = head.headers;
        expect(headHeaders).toEqual(getHeaders);
        expect(head.rawPayload.length).toBe(0);
        const notModified = await get(url, { 'accept-encoding': accept, 'if-none-match': got.headers['etag'] as string }, 'HEAD');
        expect(notModified.statusCode).toBe(304);
        expect(notModified.headers['content-length']).toBeUndefined();
      }
    });
  });
});

describe('/assets/ (the hosted page and the admin panel)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => {
    await t.close();
  });
  const manifest = readManifest(PUBLIC_DIR);
  const assets = ['page.js', 'page.css', 'admin.js', 'admin.css'].map((key) => {
    const url = manifest[key];
    if (!url) throw new Error(`dist/public/manifest.json names no ${key}`);
    return url;
  });
  const common = {
    'cache-control': 'public, max-age=31536000, immutable',
    'access-control-allow-origin': '*',
    'cross-origin-resource-policy': 'cross-origin',
    'x-content-type-options': 'nosniff',
    vary: 'Origin, accept-encoding',
  };

  it.each(assets)('%s: br, gzip or identity by Accept-Encoding, each with its own ETag and 304', async (url) => {
    const file = url.slice(1);
    const type = url.endsWith('.js') ? 'application/javascript; charset=utf-8' : 'text/css; charset=utf-8';
    const etags = new Map<string, string>();
    for (const [accept, coding, bytes] of [
      ['br, gzip', 'br', onDisk(`${file}.br`)],
      ['gzip', 'gzip', onDisk(`${file}.gz`)],
      ['br;q=0, gzip;q=0', undefined, onDisk(file)],
      ['identity', undefined, onDisk(file)],
      [undefined, undefined, onDisk(file)],
    ] as const) {
      const headers = accept === undefined ? {} : { 'accept-encoding': accept };
      const res = await t.app.inject({ method: 'GET', url, headers });
      expect(res.statusCode, accept).toBe(200);
      expect(res.headers, accept).toMatchObject({ ...common, 'content-type': type, 'content-length': String(bytes.length) });
      expect(res.headers['content-encoding'], accept).toBe(coding);
      expect(res.rawPayload.equals(bytes), accept).toBe(true);
      if (coding) expect(decode[coding](res.rawPayload).equals(onDisk(file))).toBe(true);
      const etag = res.headers['etag'] as string;
      etags.set(coding ?? 'identity', etag);

      const notModified = await t.app.inject({ method: 'GET', url, headers: { ...headers, 'if-none-match': etag } });
      expect(notModified.statusCode, accept).toBe(304);
      expect(notModified.headers, accept).toMatchObject({ ...common, etag });
      expect(notModified.rawPayload.length).toBe(0);

      const head = await t.app.inject({ method: 'HEAD', url, headers });
      expect(head.statusCode).toBe(200);
      expect(head.headers).toMatchObject({ ...common, etag, 'content-length': String(bytes.length) });
      expect(head.headers['content-encoding']).toBe(coding);
      expect(head.rawPayload.length).toBe(0);
    }
    expect(new Set(etags.values()).size, 'one ETag per coding').toBe(3);
    // A tag of another coding is another representation: the full answer.
    const res = await t.app.inject({ method: 'GET', url, headers: { 'accept-encoding': 'br', 'if-none-match': etags.get('gzip')! } });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-encoding']).toBe('br');
  });

  it('the build left a .br and a .gz, of the current content, beside every text file it serves', () => {
    const walk = (dir: string): string[] => readdirSync(join(PUBLIC_DIR, dir), { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)]));
    const texts = walk('').filter((f) => ['.js', '.css', '.html', '.svg', '.json', '.txt'].includes(extname(f)));
    expect(texts.length).toBeGreaterThan(5);
    for (const file of texts) {
      expect(brotliDecompressSync(onDisk(`${file}.br`)).equals(onDisk(file)), `${file}.br`).toBe(true);
      expect(gunzipSync(onDisk(`${file}.gz`)).equals(onDisk(file)), `${file}.gz`).toBe(true);
    }
  });
});

/** A GET over a real socket that hands back the response as soon as its head arrives. */
function rawGet(base: string, path: string, headers: Record<string, string>): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(new URL(path, base), { headers }, resolve);
    req.on('error', reject);
    req.end();
  });
}

describe.each(DIALECTS)('dynamic answers on %s', (dialect) => {
  let t: TestApp;
  beforeEach(async () => {
    t = await createTestApp({ dialect, heartbeatMs: 60_000 });
  });
  afterEach(async () => {
    await t.close();
  });

  const signIn = async (id: string) => {
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/auth/exchange', payload: { externalAuthCode: await t.sign({ user: { id, name: id } }) } });
    return { authorization: `Bearer ${res.json().session.token}` };
  };

  it('API JSON over 1 KB is compressed, br or gzip; under 1 KB it is not', async () => {
    const alice = await signIn('alice');
    const id = (await t.app.inject({ method: 'POST', url: '/api/v1/conversations', headers: alice, payload: {} })).json().conversation.id;
    for (let i = 0; i < 8; i++) {
      const posted = await t.app.inject({ method: 'POST', url: `/api/v1/conversations/${id}/messages`, headers: alice, payload: { text: `message ${i}: ${'lorem ipsum '.repeat(20)}`, clientMessageId: `c${i}` } });
      expect(posted.statusCode).toBe(201);
    }
    const url = `/api/v1/conversations/${id}/messages`;
    const plain = await t.app.inject({ method: 'GET', url, headers: alice });
    expect(plain.statusCode).toBe(200);
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.rawPayload.length).toBeGreaterThan(1024);
    for (const coding of ['br', 'gzip'] as const) {
      const res = await t.app.inject({ method: 'GET', url, headers: { ...alice, 'accept-encoding': coding } });
      expect(res.statusCode).toBe(200);
      expect(res.headers).toMatchObject({ 'content-type': 'application/json; charset=utf-8', 'content-encoding': coding, vary: 'Origin, accept-encoding' });
      expect(res.rawPayload.length).toBeLessThan(plain.rawPayload.length / 2);
      expect(JSON.parse(decode[coding](res.rawPayload).toString('utf8'))).toEqual(plain.json());
    }

    const small = await t.app.inject({ method: 'GET', url: `/api/v1/conversations/${id}`, headers: { ...alice, 'accept-encoding': 'br, gzip' } });
    expect(small.statusCode).toBe(200);
    expect(small.rawPayload.length).toBeLessThan(1024);
    expect(small.headers['content-encoding']).toBeUndefined();
    expect(small.headers['content-length']).toBe(String(small.rawPayload.length));
    expect(small.json().conversation.id).toBe(id);
  });

  it('an HTML page over 1 KB is compressed; errors and refusals keep their status and body', async () => {
    const docs = await t.app.inject({ method: 'GET', url: '/docs', headers: { 'accept-encoding': 'gzip' } });
    expect(docs.statusCode).toBe(200);
    expect(docs.headers).toMatchObject({ 'content-type': 'text/html; charset=utf-8', 'content-encoding': 'gzip' });
    expect(gunzipSync(docs.rawPayload).toString('utf8')).toContain('<h1>Parley API');

    const unauthenticated = await t.app.inject({ method: 'GET', url: '/api/v1/conversations', headers: { 'accept-encoding': 'br, gzip' } });
    expect(unauthenticated.statusCode).toBe(401);
    expect(unauthenticated.headers['content-encoding']).toBeUndefined();
    expect(unauthenticated.json()).toEqual({ error: { code: 'session_missing', message: expect.any(String) } });
    const missing = await t.app.inject({ method: 'GET', url: '/api/v1/nothing-here', headers: { 'accept-encoding': 'br, gzip' } });
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toEqual({ error: { code: 'not_found', message: expect.any(String) } });
    // A request body's Content-Encoding is not undone: the JSON parser sees the bytes as sent.
    const alice = await signIn('alice');
    const compressed = await t.app.inject({
      method: 'POST',
      url: '/api/v1/conversations',
      headers: { ...alice, 'content-type': 'application/json', 'content-encoding': 'gzip' },
      payload: '{}',
    });
    expect(compressed.statusCode).toBe(201);
  });

  it('an event stream arrives uncompressed and unbuffered: its first event while it stays open', async () => {
    const base = await t.app.listen({ port: 0, host: '127.0.0.1' });
    const alice = await signIn('alice');
    const res = await rawGet(base, '/api/v1/events', { ...alice, 'accept-encoding': 'br, gzip' });
    try {
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toBe('text/event-stream; charset=utf-8');
      expect(res.headers['content-encoding']).toBeUndefined();
      expect(res.headers['content-length']).toBeUndefined();
      res.setEncoding('utf8');
      let received = '';
      await new Promise<void>((resolve, reject) => {
        res.on('data', (chunk: string) => {
          received += chunk;
          if (received.includes('event: ready\n')) resolve();
        });
        res.on('end', () => reject(new Error(`the stream ended before its first event: ${JSON.stringify(received)}`)));
      });
      expect(received).toMatch(/^retry: \d+\n\n/);
      expect(res.complete).toBe(false);
    } finally {
      res.destroy();
    }
  });
});

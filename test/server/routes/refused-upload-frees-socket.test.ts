/**
 * A refused upload frees its connection: the answer comes before the body is read to its end (an HTML page
 * named .png is refused at its first bytes, an outsider at once), and the server then closes the socket
 * instead of keeping it paused with megabytes unread, which would hold a descriptor for ever and stall a
 * graceful shutdown. Over real HTTP, since app.inject has no sockets.
 */
import { request as httpRequest } from 'node:http';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createTestApp, type TestApp } from '../../helpers/app.js';

const BOUNDARY = 'parley-test-boundary';

/** Sends an 8 MB multipart upload in 64 KB writes; answers the status, and waits until the socket closes. */
function bigUpload(url: string, headers: Record<string, string>, field: string, name: string, start: string): Promise<{ status: number; body: string }> {
  const head = Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="${field}"; filename="${name}"\r\nContent-Type: image/png\r\n\r\n${start}`);
  const tail = Buffer.from(`\r\n--${BOUNDARY}--\r\n`);
  const size = 8 * 1024 * 1024;
  const total = head.length + size + tail.length;
  return new Promise((resolve, reject) => {
    let answer: { status: number; body: string } | undefined;
    const req = httpRequest(url, { method: 'POST', headers: { ...headers, 'content-type': `multipart/form-data; boundary=${BOUNDARY}`, 'content-length': String(total) } }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c: string) => (body += c));
      res.on('end', () => (answer = { status: res.statusCode ?? 0, body }));
    });
    req.on('error', () => undefined); // the server may close while we still write: expected
    req.on('close', () => (answer ? resolve(answer) : reject(new Error('closed without an answer'))));
    req.write(head);
    const chunk = Buffer.alloc(64 * 1024, 0x61);
    let sent = 0;
    const pump = () => {
      while (sent < size && !req.destroyed) {
        sent += chunk.length;
        if (!req.write(chunk)) return void req.once('drain', pump);
      }
      if (!req.destroyed) req.end(tail);
    };
    pump();
  });
}

describe('a refused upload', () => {
  let t: TestApp;
  let base: string;
  beforeEach(async () => {
    t = await createTestApp({ env: { PARLEY_MAX_UPLOAD: '10MB' } });
    base = await t.app.listen({ port: 0, host: '127.0.0.1' });
  });
  afterEach(async () => {
    await t.close();
  });

  const session = async (id: string) => {
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/auth/exchange', payload: { externalAuthCode: await t.sign({ user: { id } }) } });
    return { authorization: `Bearer ${res.json().session.token}` };
  };
  const connections = () => new Promise<number>((resolve) => t.app.server.getConnections((_e, n) => resolve(n)));

  it('answers its code and closes the connection, whatever refused it', async () => {
    const alice = await session('alice');
    const bob = await session('bob');
    const conversation = (await t.app.inject({ method: 'POST', url: '/api/v1/conversations', headers: alice, payload: { message: { text: 'Hi', clientMessageId: 'c1' } } })).json().conversation;
    const url = `${base}/api/v1/conversations/${conversation.id}/attachments`;
    const cases = [
      [alice, 'file', 'cat.png', '<!doctype html><script>alert(1)</script>', 415, 'attachment_type_unsupported'],
      [bob, 'file', 'x.png', '\x89PNG\r\n\x1a\n', 404, 'conversation_not_found'],
      [alice, 'other', 'x.png', '\x89PNG\r\n\x1a\n', 400, 'bad_request'],
    ] as const;
    for (const [headers, field, name, start, status, code] of cases) {
      const answer = await bigUpload(url, headers, field, name, start);
      expect([name, answer.status, JSON.parse(answer.body).error.code]).toEqual([name, status, code]);
      await vi.waitFor(async () => expect(await connections()).toBe(0), { timeout: 5000, interval: 20 });
    }
    expect(await t.db.store.db.selectFrom('attachments').selectAll().execute()).toEqual([]);
  });
});

/**
 * Attached files (docs/attachments.md): uploaded as multipart to a conversation, taken by the author's next
 * message (`attachmentIds`), served only to whoever may read that message, with headers that keep any file
 * from running in Parley's origin. Every refusal is coded and leaves neither a row nor stored bytes.
 */
import { readdirSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createTestApp, type TestApp } from '../../helpers/app.js';
import { DIALECTS } from '../../helpers/databases.js';
import { multipart, PNG_3x2 } from '../../helpers/files.js';

type Headers = Record<string, string>;
interface Who {
  headers: Headers;
  userId: string;
  fileToken: string;
}

const PDF = Buffer.from('%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n');
const ZIP = Buffer.concat([Buffer.from([0x50, 0x4b, 0x03, 0x04]), Buffer.alloc(40, 1)]);

describe.each(DIALECTS)('attachments on %s', (dialect) => {
  let t: TestApp;
  let owner: Who;
  let alice: Who;
  let bob: Who;
  let files: string;

  async function sessionFor(id: string, role: 'owner' | 'member' = 'member'): Promise<Who> {
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/auth/exchange', payload: { externalAuthCode: await t.sign({ user: { id, name: id } }) } });
    const { session, user } = res.json();
    if (role !== 'member') await t.app.services.users.setRole(user.id, role);
    return { headers: { authorization: `Bearer ${session.token}` }, userId: user.id, fileToken: session.fileToken };
  }
  const start = async (who: Who, text = 'Hello') =>
    (await t.app.inject({ method: 'POST', url: '/api/v1/conversations', headers: who.headers, payload: { message: { text, clientMessageId: `c-${Math.random()}` } } })).json().conversation as { id: string };
  async function upload(who: Who, conversationId: string, data: Buffer | string, filename: string, type = 'application/octet-stream') {
    const body = await multipart([{ name: 'file', data, filename, type }]);
    return t.app.inject({ method: 'POST', url: `/api/v1/conversations/${conversationId}/attachments`, headers: { ...who.headers, ...body.headers }, payload: body.payload });
  }
  const post = (who: Who, conversationId: string, payload: object, admin = false) =>
    t.app.inject({ method: 'POST', url: `/api/v1/${admin ? 'admin/' : ''}conversations/${conversationId}/messages`, headers: who.headers, payload });
  const rows = () => t.db.store.db.selectFrom('attachments').selectAll().execute();
  const stored = () => (readdirSync(files, { recursive: true }) as string[]).filter((f) => !f.endsWith('att'));
  const expectError = (res: { statusCode: number; json(): { error: { code: string } } }, status: number, code: string) => expect([res.statusCode, res.json().error.code]).toEqual([status, code]);

  beforeEach(async () => {
    t = await createTestApp({ dialect, env: { PARLEY_MAX_UPLOAD: '64KB' } });
    files = t.config.fileStorage.kind === 'folder' ? t.config.fileStorage.path : '';
    owner = await sessionFor('the-owner', 'owner');
    alice = await sessionFor('alice');
    bob = await sessionFor('bob');
  });
  afterEach(async () => {
    await t.close();
  });

  it('uploads an image, attaches it to a message with no text, and serves it to the conversation only', async () => {
    const conversation = await start(alice);
    const res = await upload(alice, conversation.id, PNG_3x2, 'screen shot.png', 'image/png');
    expect(res.statusCode).toBe(201);
    const { attachment } = res.json();
    expect(attachment).toEqual({ id: expect.stringMatching(/^att_/), name: 'screen shot.png', type: 'image/png', size: PNG_3x2.length, width: 3, height: 2, url: `/api/v1/attachments/${attachment.id}` });

    const sent = await post(alice, conversation.id, { text: '', clientMessageId: 'with-file', attachmentIds: [attachment.id] });
    expect(sent.statusCode).toBe(201);
    expect(sent.json().message).toMatchObject({ text: '', attachments: [attachment] });
    // A retry answers the same message and attaches nothing twice.
    const retry = await post(alice, conversation.id, { text: '', clientMessageId: 'with-file', attachmentIds: [attachment.id] });
    expect([retry.statusCode, retry.json().message.id]).toEqual([200, sent.json().message.id]);

    // The team sees it in the thread, and downloads it.
    const thread = await t.app.inject({ method: 'GET', url: `/api/v1/admin/conversations/${conversation.id}/messages`, headers: owner.headers });
    expect(thread.json().messages.at(-1).attachments).toEqual([attachment]);
    for (const headers of [alice.headers, owner.headers]) {
      const file = await t.app.inject({ method: 'GET', url: attachment.url, headers });
      expect(file.statusCode).toBe(200);
      expect(file.rawPayload.equals(PNG_3x2)).toBe(true);
      expect(file.headers).toMatchObject({
        'content-type': 'image/png',
        'content-length': String(PNG_3x2.length),
        'content-disposition': `inline; filename="screen shot.png"; filename*=UTF-8''screen%20shot.png`,
        'content-security-policy': "sandbox; default-src 'none'",
        'x-content-type-options': 'nosniff',
        'cross-origin-resource-policy': 'cross-origin',
        'cache-control': 'private, no-cache',
      });
      expect(file.headers['content-encoding']).toBeUndefined();
    }
    // Exports carry it: the JSON transcript as the API shows it, the text one as a line.
    const json = await t.app.inject({ method: 'GET', url: `/api/v1/admin/conversations/${conversation.id}/export?format=json`, headers: owner.headers });
    expect(JSON.stringify(json.json())).toContain(JSON.stringify(attachment));
    const txt = await t.app.inject({ method: 'GET', url: `/api/v1/admin/conversations/${conversation.id}/export?format=txt`, headers: owner.headers });
    expect(txt.body).toContain(`: \n    [file: screen shot.png, image/png, ${PNG_3x2.length} bytes, ${attachment.url}]\n`);
    // An <img> of the widget carries the session's file token instead of the bearer header.
    const viaToken = await t.app.inject({ method: 'GET', url: `${attachment.url}?token=${alice.fileToken}` });
    expect(viaToken.statusCode).toBe(200);
    // A session token is no file token, and a file token is no session.
    expectError(await t.app.inject({ method: 'GET', url: `${attachment.url}?token=${alice.headers.authorization!.slice(7)}` }), 401, 'session_invalid');
    expectError(await t.app.inject({ method: 'GET', url: '/api/v1/conversations', headers: { authorization: `Bearer ${alice.fileToken}` } }), 401, 'session_invalid');
    // Someone outside the conversation: as if it did not exist.
    expectError(await t.app.inject({ method: 'GET', url: attachment.url, headers: bob.headers }), 404, 'attachment_not_found');
    expectError(await t.app.inject({ method: 'GET', url: `${attachment.url}?token=${bob.fileToken}` }), 404, 'attachment_not_found');
    expectError(await t.app.inject({ method: 'GET', url: attachment.url }), 401, 'session_missing');
    // A logout ends the file token too.
    await t.app.inject({ method: 'POST', url: '/api/v1/auth/logout', headers: alice.headers });
    expectError(await t.app.inject({ method: 'GET', url: `${attachment.url}?token=${alice.fileToken}` }), 401, 'session_invalid');
  });

  it('knows files by their content, and refuses what their name belies, leaving nothing behind', async () => {
    const conversation = await start(alice);
    const accepted: [Buffer | string, string, string][] = [
      [PDF, 'invoice.pdf', 'application/pdf'],
      ['name,total\nAda,42\n', 'orders.csv', 'text/csv'],
      ['Plain notes — ünïcödé\n', 'notes.txt', 'text/plain'],
      [ZIP, 'report.docx', 'application/vnd.openxmlformats-officedocument.wordprocessingml.document'],
      [ZIP, 'archive.zip', 'application/zip'],
      [PNG_3x2, 'pasted', 'image/png'],
    ];
    for (const [data, name, type] of accepted) {
      const res = await upload(alice, conversation.id, data, name, 'text/html');
      expect([name, res.statusCode, res.json().attachment?.type]).toEqual([name, 201, type]);
    }
    // A pasted image without a name's extension gets its kind's.
    expect((await rows()).map((r) => r.name)).toContain('pasted.png');
    const before = (await rows()).length;
    const refused: [Buffer | string, string][] = [
      ['<!doctype html><script>alert(1)</script>', 'cat.png'],
      ['<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', 'logo.svg'],
      ['<html><body>hi</body></html>', 'page.html'],
      [PNG_3x2, 'photo.pdf'],
      [ZIP, 'invoice.pdf'],
      [Buffer.from([0x66, 0x6f, 0xff, 0xfe, 0x00]), 'broken.txt'],
      ['MZ\u0090\u0000', 'setup.exe'],
      ['', 'empty.txt'],
    ];
    for (const [data, name] of refused) {
      const res = await upload(alice, conversation.id, data, name, 'image/png');
      expect([name, res.statusCode, res.json().error.code]).toEqual([name, 415, 'attachment_type_unsupported']);
    }
    expect((await rows()).length).toBe(before);
    expect(stored().sort()).toEqual((await rows()).map((r) => `att/${r.id}`).sort());
  });

  it('refuses a file over PARLEY_MAX_UPLOAD, a cut upload and a body that is no file, keeping nothing', async () => {
    const conversation = await start(alice);
    const big = Buffer.concat([PNG_3x2, Buffer.alloc(64 * 1024)]);
    expectError(await upload(alice, conversation.id, big, 'big.png'), 413, 'attachment_too_large');
    // Sent without a Content-Length (chunked), it is refused as it streams.
    const body = await multipart([{ name: 'file', data: big, filename: 'big.png' }]);
    const { Readable } = await import('node:stream');
    const chunked = await t.app.inject({ method: 'POST', url: `/api/v1/conversations/${conversation.id}/attachments`, headers: { ...alice.headers, ...body.headers }, payload: Readable.from([body.payload]) });
    expectError(chunked, 413, 'attachment_too_large');
    // The body ends in the middle of the file.
    const small = await multipart([{ name: 'file', data: Buffer.concat([PNG_3x2, Buffer.alloc(4000, 7)]), filename: 'cut.png' }]);
    const cut = await t.app.inject({ method: 'POST', url: `/api/v1/conversations/${conversation.id}/attachments`, headers: { ...alice.headers, ...small.headers }, payload: small.payload.subarray(0, 2000) });
    expectError(cut, 400, 'attachment_truncated');
    expectError(await t.app.inject({ method: 'POST', url: `/api/v1/conversations/${conversation.id}/attachments`, headers: alice.headers, payload: { file: 'x' } }), 415, 'unsupported_media_type');
    const field = await multipart([{ name: 'note', data: 'hello' }]);
    expectError(await t.app.inject({ method: 'POST', url: `/api/v1/conversations/${conversation.id}/attachments`, headers: { ...alice.headers, ...field.headers }, payload: field.payload }), 400, 'bad_request');
    // Nobody may upload into a conversation they cannot write in.
    expectError(await upload(bob, conversation.id, PNG_3x2, 'x.png'), 404, 'conversation_not_found');
    expect(await rows()).toEqual([]);
    expect(stored()).toEqual([]);
  });

  it('keeps the quota exact under concurrent uploads', async () => {
    await t.close();
    t = await createTestApp({ dialect, env: { PARLEY_MAX_UPLOAD: '64KB', PARLEY_UPLOAD_QUOTA: '20KB' } });
    files = t.config.fileStorage.kind === 'folder' ? t.config.fileStorage.path : '';
    alice = await sessionFor('alice');
    const conversation = await start(alice);
    const file = Buffer.concat([PNG_3x2, Buffer.alloc(8 * 1024)]);
    // Three at once (the most in flight), 8 KB each against 20 KB: two fit, one is refused.
    const results = await Promise.all([1, 2, 3].map((n) => upload(alice, conversation.id, file, `shot-${n}.png`)));
    expect(results.map((r) => r.statusCode).sort()).toEqual([201, 201, 413]);
    expect(results.find((r) => r.statusCode === 413)!.json().error.code).toBe('attachment_quota_exceeded');
    expect((await rows()).map((r) => [r.state, Number(r.size)])).toEqual([
      ['ready', file.length],
      ['ready', file.length],
    ]);
    expect(stored().length).toBe(2);
  });

  it('attaches only the author’s own unattached uploads of that conversation, at most 10', async () => {
    const conversation = await start(alice);
    const other = await start(alice, 'Another');
    const mine = (await upload(alice, conversation.id, PNG_3x2, 'a.png')).json().attachment;
    const elsewhere = (await upload(alice, other.id, PNG_3x2, 'b.png')).json().attachment;
    const ownerFile = (await upload(owner, conversation.id, PNG_3x2, 'c.png')).json().attachment;
    expectError(await post(alice, conversation.id, { text: 'x', clientMessageId: 'm1', attachmentIds: [elsewhere.id] }), 404, 'attachment_not_found');
    expectError(await post(alice, conversation.id, { text: 'x', clientMessageId: 'm2', attachmentIds: [ownerFile.id] }), 404, 'attachment_not_found');
    expectError(await post(alice, conversation.id, { text: 'x', clientMessageId: 'm3', attachmentIds: ['att_nope'] }), 404, 'attachment_not_found');
    expectError(await post(alice, conversation.id, { text: 'x', clientMessageId: 'm4', attachmentIds: Array.from({ length: 11 }, (_, i) => `att_${i}`) }), 400, 'too_many_attachments');
    expectError(await post(alice, conversation.id, { text: '', clientMessageId: 'm5' }), 400, 'message_empty');
    expect((await post(alice, conversation.id, { text: 'Here', clientMessageId: 'm6', attachmentIds: [mine.id] })).statusCode).toBe(201);
    expectError(await post(alice, conversation.id, { text: 'Again', clientMessageId: 'm7', attachmentIds: [mine.id] }), 409, 'attachment_used');
    // A refused message is not stored.
    const texts = (await t.app.inject({ method: 'GET', url: `/api/v1/conversations/${conversation.id}/messages`, headers: alice.headers })).json().messages.map((m: { text: string }) => m.text);
    expect(texts).toEqual(['Hello', 'Here']);
    // An unattached upload is its uploader's alone to read.
    expect((await t.app.inject({ method: 'GET', url: ownerFile.url, headers: owner.headers })).statusCode).toBe(200);
    expectError(await t.app.inject({ method: 'GET', url: ownerFile.url, headers: alice.headers }), 404, 'attachment_not_found');
    // The team answers with a file from the inbox.
    const answer = await post(owner, conversation.id, { text: 'See attached', clientMessageId: 'a1', attachmentIds: [ownerFile.id] }, true);
    expect(answer.json().message.attachments).toEqual([ownerFile]);
    expect((await t.app.inject({ method: 'GET', url: ownerFile.url, headers: alice.headers })).statusCode).toBe(200);
  });

  it('serves files to an admin API key as to its creator, and refuses a key that is not one', async () => {
    const conversation = await start(alice);
    const file = (await upload(alice, conversation.id, PDF, 'invoice.pdf')).json().attachment;
    expect((await post(alice, conversation.id, { text: 'My invoice', clientMessageId: 'k1', attachmentIds: [file.id] })).statusCode).toBe(201);
    const { key } = (await t.app.inject({ method: 'POST', url: '/api/v1/admin/api-keys', headers: owner.headers, payload: { name: 'export bot' } })).json();
    const got = await t.app.inject({ method: 'GET', url: file.url, headers: { 'x-api-key': key } });
    expect(got.statusCode).toBe(200);
    expect(got.rawPayload.equals(PDF)).toBe(true);
    expect(got.headers['content-disposition']).toBe(`attachment; filename="invoice.pdf"; filename*=UTF-8''invoice.pdf`);
    const refused = await t.app.inject({ method: 'GET', url: file.url, headers: { 'x-api-key': 'pak_not-a-key' } });
    expect([refused.statusCode, refused.json()]).toEqual([401, { error: { code: 'api_key_invalid', message: 'The API key is not valid (unknown, revoked, or its creator is no longer an administrator).' } }]);
    expectError(await t.app.inject({ method: 'GET', url: file.url }), 401, 'session_missing');
  });

  it('keeps an internal note’s files from the user', async () => {
    const conversation = await start(alice);
    const file = (await upload(owner, conversation.id, PDF, 'notes.pdf')).json().attachment;
    expect((await post(owner, conversation.id, { text: 'For us', clientMessageId: 'n1', internal: true, attachmentIds: [file.id] }, true)).statusCode).toBe(201);
    expectError(await t.app.inject({ method: 'GET', url: file.url, headers: alice.headers }), 404, 'attachment_not_found');
    const got = await t.app.inject({ method: 'GET', url: file.url, headers: owner.headers });
    expect([got.statusCode, got.headers['content-disposition']]).toEqual([200, `attachment; filename="notes.pdf"; filename*=UTF-8''notes.pdf`]);
  });

  it('deletes a deleted message’s files, and sweeps uploads never attached after a day', async () => {
    const conversation = await start(alice);
    const attached = (await upload(alice, conversation.id, PNG_3x2, 'a.png')).json().attachment;
    const message = (await post(alice, conversation.id, { text: 'pic', clientMessageId: 'p1', attachmentIds: [attached.id] })).json().message;
    const loose = (await upload(alice, conversation.id, PDF, 'loose.pdf')).json().attachment;
    expect(stored().length).toBe(2);

    expect((await t.app.inject({ method: 'DELETE', url: `/api/v1/conversations/${conversation.id}/messages/${message.id}`, headers: alice.headers })).statusCode).toBe(204);
    expectError(await t.app.inject({ method: 'GET', url: attached.url, headers: alice.headers }), 404, 'attachment_not_found');
    const page = (await t.app.inject({ method: 'GET', url: `/api/v1/conversations/${conversation.id}/messages`, headers: alice.headers })).json();
    expect(page.messages.at(-1)).toMatchObject({ id: message.id, text: '', attachments: [] });
    expect(await t.app.services.attachments.sweep()).toBe(1);
    expect((await rows()).map((r) => r.id)).toEqual([loose.id]);
    expect(stored().length).toBe(1);

    t.clock.now += 24 * 3600_000 - 1;
    expect(await t.app.services.attachments.sweep()).toBe(0);
    t.clock.now += 2;
    expect(await t.app.services.attachments.sweep()).toBe(1);
    expect(await rows()).toEqual([]);
    expect(stored()).toEqual([]);
  });

  it('deletes a deleted account’s files', async () => {
    const conversation = await start(alice);
    const file = (await upload(alice, conversation.id, PNG_3x2, 'a.png')).json().attachment;
    await post(alice, conversation.id, { text: 'pic', clientMessageId: 'p1', attachmentIds: [file.id] });
    expect((await t.app.inject({ method: 'DELETE', url: `/api/v1/admin/users/${alice.userId}`, headers: owner.headers })).statusCode).toBe(204);
    expectError(await t.app.inject({ method: 'GET', url: file.url, headers: owner.headers }), 404, 'attachment_not_found');
    const thread = (await t.app.inject({ method: 'GET', url: `/api/v1/admin/conversations/${conversation.id}/messages`, headers: owner.headers })).json();
    expect(thread.messages.find((m: { text: string }) => m.text === 'pic')).toMatchObject({ attachments: [] });
    expect(await t.app.services.attachments.sweep()).toBe(1);
    expect(await rows()).toEqual([]);
    expect(stored()).toEqual([]);
  });

  it('an upload the sweep took for abandoned while it streamed keeps nothing and says so', async () => {
    const conversation = await start(alice);
    const body = await multipart([{ name: 'file', data: Buffer.concat([PNG_3x2, Buffer.alloc(4096)]), filename: 'slow.png' }]);
    const { PassThrough } = await import('node:stream');
    const slow = new PassThrough();
    const answer = t.app.inject({ method: 'POST', url: `/api/v1/conversations/${conversation.id}/attachments`, headers: { ...alice.headers, ...body.headers }, payload: slow });
    slow.write(body.payload.subarray(0, 1000));
    await vi.waitFor(async () => expect((await rows()).map((r) => r.state)).toEqual(['uploading']));
    t.clock.now += 61 * 60_000;
    expect(await t.app.services.attachments.sweep()).toBe(1);
    slow.end(body.payload.subarray(1000));
    expectError(await answer, 400, 'attachment_truncated');
    expect(await rows()).toEqual([]);
    expect(stored()).toEqual([]);
  });
});

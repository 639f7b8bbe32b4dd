/**
 * Files kept in the database (`PARLEY_FILE_STORAGE=database`, docs/attachments.md#storage): a file of
 * several 256 KB chunks goes in as rows and comes back byte for byte; a refused upload leaves no row of
 * bytes; a deleted message's bytes go at the sweep.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../helpers/app.js';
import { DIALECTS } from '../../helpers/databases.js';
import { multipart, PNG_3x2 } from '../../helpers/files.js';

describe.each(DIALECTS)('files in the database on %s', (dialect) => {
  let t: TestApp;
  let headers: Record<string, string>;
  beforeEach(async () => {
    t = await createTestApp({ dialect, env: { PARLEY_FILE_STORAGE: 'database' } });
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/auth/exchange', payload: { externalAuthCode: await t.sign({ user: { id: 'ada' } }) } });
    headers = { authorization: `Bearer ${res.json().session.token}` };
  });
  afterEach(async () => {
    await t.close();
  });
  const chunks = () => t.db.store.db.selectFrom('blob_chunks').select(['storage_key', 'n']).orderBy('n').execute();
  const upload = async (conversationId: string, data: Buffer, filename: string) => {
    const body = await multipart([{ name: 'file', data, filename }]);
    return t.app.inject({ method: 'POST', url: `/api/v1/conversations/${conversationId}/attachments`, headers: { ...headers, ...body.headers }, payload: body.payload });
  };

  it('stores a file in chunks, serves it whole, and the sweep removes a deleted message’s', async () => {
    const conversation = (await t.app.inject({ method: 'POST', url: '/api/v1/conversations', headers, payload: { message: { text: 'Hi', clientMessageId: 'c1' } } })).json().conversation;
    // 600 KB: three rows of at most 256 KB.
    const pdf = Buffer.concat([Buffer.from('%PDF-1.4\n'), Buffer.alloc(600 * 1024 - 9, 0x42)]);
    const res = await upload(conversation.id, pdf, 'big.pdf');
    expect(res.statusCode).toBe(201);
    const { attachment } = res.json();
    expect((await chunks()).map((c) => c.n)).toEqual([0, 1, 2]);
    const file = await t.app.inject({ method: 'GET', url: attachment.url, headers });
    expect([file.statusCode, file.rawPayload.equals(pdf)]).toEqual([200, true]);

    // Refused at its first bytes: no row of bytes is left.
    expect((await upload(conversation.id, Buffer.from('<html></html>'), 'page.png')).statusCode).toBe(415);
    expect((await chunks()).length).toBe(3);

    const message = (await t.app.inject({ method: 'POST', url: `/api/v1/conversations/${conversation.id}/messages`, headers, payload: { text: '', clientMessageId: 'm1', attachmentIds: [attachment.id] } })).json().message;
    await t.app.inject({ method: 'DELETE', url: `/api/v1/conversations/${conversation.id}/messages/${message.id}`, headers });
    expect(await t.app.services.attachments.sweep()).toBe(1);
    expect(await chunks()).toEqual([]);
    // An image too, through the same store.
    const image = (await upload(conversation.id, PNG_3x2, 'a.png')).json().attachment;
    expect((await t.app.inject({ method: 'GET', url: image.url, headers })).rawPayload.equals(PNG_3x2)).toBe(true);
  });
});

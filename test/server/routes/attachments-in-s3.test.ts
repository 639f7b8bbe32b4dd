/**
 * Files in an S3-compatible bucket (`PARLEY_S3_URL`, docs/attachments.md#storage), against a local
 * S3-compatible server (helpers/fake-s3.ts): a small image (one PutObject) and a file past the 5 MB part size
 * (a multipart upload) go through upload → message → download byte for byte; a refused upload leaves no
 * object and no unfinished multipart upload; a deleted message's object goes at the sweep.
 */
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../helpers/app.js';
import { DIALECTS } from '../../helpers/databases.js';
import { startFakeS3, type FakeS3 } from '../../helpers/fake-s3.js';
import { multipart, PNG_3x2 } from '../../helpers/files.js';

const MB = 1024 * 1024;

/** A PDF of `bytes` whose every byte tells its position, so a part swapped or lost shows. */
export function bigPdf(bytes: number): Buffer {
  const data = Buffer.allocUnsafe(bytes);
  for (let i = 0; i < bytes; i++) data[i] = (i * 31 + (i >> 12)) & 0xff;
  Buffer.from('%PDF-1.4\n').copy(data);
  return data;
}

describe.each(DIALECTS)('files in an S3-compatible bucket on %s', (dialect) => {
  let t: TestApp;
  let s3: FakeS3;
  let headers: Record<string, string>;
  beforeEach(async () => {
    s3 = await startFakeS3();
    t = await createTestApp({ dialect, env: { PARLEY_S3_URL: s3.url('parley'), PARLEY_MAX_UPLOAD: '6MB' } });
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/auth/exchange', payload: { externalAuthCode: await t.sign({ user: { id: 'ada' } }) } });
    headers = { authorization: `Bearer ${res.json().session.token}` };
  });
  afterEach(async () => {
    await t.close();
    await s3.close();
  });
  const rows = () => t.db.store.db.selectFrom('attachments').select(['id', 'state']).execute();
  const start = async () => (await t.app.inject({ method: 'POST', url: '/api/v1/conversations', headers, payload: { message: { text: 'Hi', clientMessageId: 'c1' } } })).json().conversation as { id: string };
  // In 64 KB pieces, as from a socket (inject would hand the whole body over as one chunk).
  const upload = async (conversationId: string, data: Buffer, filename: string) => {
    const body = await multipart([{ name: 'file', data, filename }]);
    const pieces = Readable.from((function* () { for (let i = 0; i < body.payload.length; i += 64 * 1024) yield body.payload.subarray(i, i + 64 * 1024); })());
    return t.app.inject({ method: 'POST', url: `/api/v1/conversations/${conversationId}/attachments`, headers: { ...headers, ...body.headers, 'content-length': String(body.payload.length) }, payload: pieces });
  };
  const operations = () => s3.requests.map((r) => r.operation);

  it('keeps a small image and a file past the part size, serves both byte for byte, and the sweep removes a deleted message’s', async () => {
    const conversation = await start();
    const image = await upload(conversation.id, PNG_3x2, 'a.png');
    expect(image.statusCode).toBe(201);
    expect(image.json().attachment).toMatchObject({ type: 'image/png', size: PNG_3x2.length, width: 3, height: 2 });
    expect(operations()).toEqual(['PutObject']);

    const pdf = bigPdf(5.5 * MB);
    const big = await upload(conversation.id, pdf, 'big.pdf');
    expect(big.statusCode).toBe(201);
    expect(big.json().attachment).toMatchObject({ type: 'application/pdf', size: pdf.length });
    expect(operations().slice(1)).toEqual(['CreateMultipartUpload', 'UploadPart', 'UploadPart', 'CompleteMultipartUpload']);
    const ids = [image.json().attachment.id, big.json().attachment.id];
    expect([...s3.objects.keys()].sort()).toEqual(ids.map((id) => `parley/att/${id}`).sort());

    const sent = await t.app.inject({ method: 'POST', url: `/api/v1/conversations/${conversation.id}/messages`, headers, payload: { text: '', clientMessageId: 'm1', attachmentIds: ids } });
    expect(sent.statusCode).toBe(201);
    const [first, second] = sent.json().message.attachments;
    for (const [attachment, bytes, type] of [[first, PNG_3x2, 'image/png'], [second, pdf, 'application/pdf']] as const) {
      const file = await t.app.inject({ method: 'GET', url: attachment.url, headers });
      expect([file.statusCode, file.headers['content-type'], file.headers['content-length'], file.rawPayload.equals(bytes)]).toEqual([200, type, String(bytes.length), true]);
    }

    await t.app.inject({ method: 'DELETE', url: `/api/v1/conversations/${conversation.id}/messages/${sent.json().message.id}`, headers });
    expect(s3.objects.size).toBe(2);
    expect(await t.app.services.attachments.sweep()).toBe(2);
    expect(s3.objects.size).toBe(0);
    expect(await rows()).toEqual([]);
  });

  it('leaves no object when an upload is refused, at its first bytes or past its first part', async () => {
    const conversation = await start();
    const html = await upload(conversation.id, Buffer.from('<html></html>'), 'page.png');
    expect([html.statusCode, html.json().error.code]).toEqual([415, 'attachment_type_unsupported']);

    // One byte over PARLEY_MAX_UPLOAD: refused after a 5 MB part is in the bucket; the upload is aborted.
    const tooLarge = await upload(conversation.id, bigPdf(6 * MB + 1), 'big.pdf');
    expect([tooLarge.statusCode, tooLarge.json().error.code]).toEqual([413, 'attachment_too_large']);
    expect(operations()).toContain('UploadPart');
    expect(operations()).toContain('AbortMultipartUpload');
    expect([s3.objects.size, s3.uploads.size]).toEqual([0, 0]);
    expect(await rows()).toEqual([]);
  });
});

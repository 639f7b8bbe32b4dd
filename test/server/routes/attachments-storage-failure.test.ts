/**
 * The file storage failing (docs/attachments.md, Uploading and Downloading): an upload answers
 * `503 service_unavailable` with Retry-After, never a 500 nor a `400 attachment_truncated` that blames the
 * client, and keeps no file: no row when the storage could be told to remove what it had, a `deleted` row
 * (quota freed) for the next sweep when it could not. A download whose bytes the storage will not give is a
 * 503 too. Against a local S3-compatible server that fails on demand, database storage whose chunk insert
 * fails past the first chunk, and a folder that cannot be created.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../helpers/app.js';
import { DIALECTS, type DialectName } from '../../helpers/databases.js';
import { startFakeS3, type FakeS3 } from '../../helpers/fake-s3.js';
import { multipart, PNG_3x2 } from '../../helpers/files.js';

const MB = 1024 * 1024;
const UNAVAILABLE = { error: { code: 'service_unavailable', message: 'The file storage cannot be reached right now. Try again shortly.' } };

function pdfOf(bytes: number): Buffer {
  const data = Buffer.allocUnsafe(bytes);
  for (let i = 0; i < bytes; i++) data[i] = (i * 31 + (i >> 12)) & 0xff;
  Buffer.from('%PDF-1.4\n').copy(data);
  return data;
}

async function signIn(t: TestApp): Promise<Record<string, string>> {
  const res = await t.app.inject({ method: 'POST', url: '/api/v1/auth/exchange', payload: { externalAuthCode: await t.sign({ user: { id: 'ada' } }) } });
  return { authorization: `Bearer ${res.json().session.token}` };
}
const startConversation = async (t: TestApp, headers: Record<string, string>) =>
  (await t.app.inject({ method: 'POST', url: '/api/v1/conversations', headers, payload: { message: { text: 'Hi', clientMessageId: 'c1' } } })).json().conversation.id as string;
/** In 64 KB pieces, as from a socket (inject would hand the whole body over as one chunk). */
async function upload(t: TestApp, headers: Record<string, string>, conversationId: string, data: Buffer, filename: string) {
  const body = await multipart([{ name: 'file', data, filename }]);
  const pieces = Readable.from((function* () { for (let i = 0; i < body.payload.length; i += 64 * 1024) yield body.payload.subarray(i, i + 64 * 1024); })());
  return t.app.inject({ method: 'POST', url: `/api/v1/conversations/${conversationId}/attachments`, headers: { ...headers, ...body.headers, 'content-length': String(body.payload.length) }, payload: pieces });
}
const rows = (t: TestApp) => t.db.store.db.selectFrom('attachments').select(['state']).execute();
const expectUnavailable = (res: { statusCode: number; headers: Record<string, unknown>; json(): unknown }) =>
  expect([res.statusCode, res.headers['retry-after'], res.json()]).toEqual([503, '5', UNAVAILABLE]);

describe.each(DIALECTS)('an S3 storage failing, on %s', (dialect) => {
  let t: TestApp;
  let s3: FakeS3;
  let headers: Record<string, string>;
  let conversationId: string;
  beforeEach(async () => {
    s3 = await startFakeS3();
    t = await createTestApp({ dialect, env: { PARLEY_S3_URL: s3.url() } });
    headers = await signIn(t);
    conversationId = await startConversation(t, headers);
  });
  afterEach(async () => {
    await t.close();
    await s3.close();
  });

  it('answers 503 to an upload whose PutObject fails, and keeps no row', async () => {
    s3.fail('PutObject', 'error');
    expectUnavailable(await upload(t, headers, conversationId, PNG_3x2, 'a.png'));
    expect([await rows(t), s3.objects.size]).toEqual([[], 0]);
    // The storage back: the same upload goes through.
    s3.heal();
    expect((await upload(t, headers, conversationId, PNG_3x2, 'a.png')).statusCode).toBe(201);
  });

  it('answers 503 to an upload whose parts are cut off past 5 MB, aborting the multipart upload, and keeps no row', async () => {
    s3.fail('UploadPart', 'drop');
    expectUnavailable(await upload(t, headers, conversationId, pdfOf(5.5 * MB), 'big.pdf'));
    expect([await rows(t), s3.objects.size, s3.uploads.size]).toEqual([[], 0, 0]);
    expect(s3.requests.map((r) => r.operation)).toContain('AbortMultipartUpload');
  });

  it('keeps a deleted row for the sweep when the storage cannot even remove what it may hold, freeing the quota', async () => {
    s3.fail('*', 'error');
    expectUnavailable(await upload(t, headers, conversationId, PNG_3x2, 'a.png'));
    expect(await rows(t)).toEqual([{ state: 'deleted' }]);
    s3.heal();
    expect(await t.app.services.attachments.sweep()).toBe(1);
    expect(await rows(t)).toEqual([]);
  });

  it('answers 503 to a download the storage fails, and serves it once the storage is back', async () => {
    const { attachment } = (await upload(t, headers, conversationId, PNG_3x2, 'a.png')).json();
    for (const how of ['error', 'drop'] as const) {
      s3.fail('GetObject', how);
      expectUnavailable(await t.app.inject({ method: 'GET', url: attachment.url, headers }));
    }
    s3.heal();
    const file = await t.app.inject({ method: 'GET', url: attachment.url, headers });
    expect([file.statusCode, file.rawPayload.equals(PNG_3x2)]).toEqual([200, true]);
  });
});

/** Makes inserting any chunk after the first fail, as a full disk would. */
async function failChunksAfterFirst(t: TestApp, dialect: DialectName): Promise<void> {
  const { db } = t.db.store;
  if (dialect === 'sqlite') {
    await sql`create trigger chunk_fails before insert on blob_chunks when new.n > 0 begin select raise(abort, 'disk full'); end`.execute(db);
    return;
  }
  await sql`create function chunk_fails() returns trigger language plpgsql as $$ begin if new.n > 0 then raise exception 'disk full'; end if; return new; end $$`.execute(db);
  await sql`create trigger chunk_fails before insert on blob_chunks for each row execute function chunk_fails()`.execute(db);
}

describe.each(DIALECTS)('database storage failing, on %s', (dialect) => {
  let t: TestApp;
  let headers: Record<string, string>;
  let conversationId: string;
  beforeEach(async () => {
    t = await createTestApp({ dialect, env: { PARLEY_FILE_STORAGE: 'database' } });
    headers = await signIn(t);
    conversationId = await startConversation(t, headers);
  });
  afterEach(async () => {
    await t.close();
  });

  it('answers 503 to an upload whose second chunk cannot be written, and keeps neither a row nor a chunk', async () => {
    await failChunksAfterFirst(t, dialect);
    expectUnavailable(await upload(t, headers, conversationId, pdfOf(600 * 1024), 'big.pdf'));
    expect(await rows(t)).toEqual([]);
    expect(await t.db.store.db.selectFrom('blob_chunks').select('n').execute()).toEqual([]);
  });
});

describe('folder storage failing', () => {
  let t: TestApp;
  let blocker: string;
  beforeEach(async () => {
    // The folder's place is taken by a file: nothing can be created under it (ENOTDIR), whoever runs this.
    blocker = join(mkdtempSync(join(tmpdir(), 'parley-blocked-')), 'not-a-folder');
    writeFileSync(blocker, '');
    t = await createTestApp({ env: { PARLEY_FILE_STORAGE: join(blocker, 'files') } });
  });
  afterEach(async () => {
    await t.close();
    rmSync(dirname(blocker), { recursive: true, force: true });
  });

  it('answers 503 to an upload the folder cannot take, and keeps no row', async () => {
    const headers = await signIn(t);
    const conversationId = await startConversation(t, headers);
    expectUnavailable(await upload(t, headers, conversationId, PNG_3x2, 'a.png'));
    expect(await rows(t)).toEqual([]);
  });
});

/**
 * The S3 blob store (storage/s3-blobs.ts) against a local S3-compatible server (helpers/fake-s3.ts): a small
 * file is one PutObject, one past the 5 MB part size a multipart upload; a missing key is BlobMissing; a
 * source or a storage that fails leaves neither an object nor an unfinished multipart upload behind.
 */
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseS3Url } from '../../../server/src/config.js';
import { BlobMissing, type BlobStore } from '../../../server/src/storage/blob-store.js';
import { createS3BlobStore, S3_PART_BYTES } from '../../../server/src/storage/s3-blobs.js';
import { startFakeS3, type FakeS3 } from '../../helpers/fake-s3.js';

function patterned(bytes: number): Buffer {
  const data = Buffer.allocUnsafe(bytes);
  for (let i = 0; i < bytes; i++) data[i] = (i * 7 + (i >> 10)) & 0xff;
  return data;
}
/** `data` as a stream of `size`-byte chunks, as an upload arrives. */
const streamOf = (data: Buffer, size = 64 * 1024) => Readable.from((function* () { for (let i = 0; i < data.length; i += size) yield data.subarray(i, i + size); })(), { objectMode: false });
const read = async (stream: Readable) => {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
};

describe('files in an S3-compatible bucket', () => {
  let s3: FakeS3;
  let blobs: BlobStore;
  beforeEach(async () => {
    s3 = await startFakeS3();
    const config = parseS3Url(s3.url('parley'));
    if (config.kind !== 's3') throw new TypeError('not s3');
    blobs = createS3BlobStore(config.s3);
  });
  afterEach(async () => {
    await s3.close();
  });
  const operations = () => s3.requests.map((r) => `${r.operation} ${r.answer}`);

  it('stores a small file with one PutObject under the prefix, and reads and deletes it', async () => {
    const data = patterned(1000);
    await blobs.put('att/one', streamOf(data, 100));
    expect(operations()).toEqual(['PutObject 200']);
    expect([...s3.objects.keys()]).toEqual(['parley/att/one']);
    expect((await read(await blobs.open('att/one'))).equals(data)).toBe(true);
    await blobs.delete('att/one');
    expect(s3.objects.size).toBe(0);
    await expect(blobs.open('att/one')).rejects.toBeInstanceOf(BlobMissing);
    // Deleting what is not there is no error.
    await blobs.delete('att/one');
  });

  it('stores a file past the part size as a multipart upload of 5 MB parts', async () => {
    const data = patterned(S3_PART_BYTES * 2 + 12345);
    await blobs.put('att/big', streamOf(data));
    expect(s3.requests.map((r) => [r.operation, r.bytes])).toEqual([
      ['CreateMultipartUpload', 0],
      ['UploadPart', S3_PART_BYTES],
      ['UploadPart', S3_PART_BYTES],
      ['UploadPart', 12345],
      ['CompleteMultipartUpload', expect.any(Number)],
    ]);
    expect(s3.uploads.size).toBe(0);
    expect((await read(await blobs.open('att/big'))).equals(data)).toBe(true);
  });

  it('streams a source whose own fields look like a length (the SDK reads `size`, `length`, `start`/`end`)', async () => {
    const data = patterned(S3_PART_BYTES + 100);
    const source = Object.assign(streamOf(data), { size: 0, length: 3, start: 0, end: 0 });
    await blobs.put('att/sized', source);
    expect((await read(await blobs.open('att/sized'))).equals(data)).toBe(true);
  });

  it('leaves nothing when the source fails in the middle of a multipart upload', async () => {
    const source = new Readable({ read() {} });
    source.push(patterned(S3_PART_BYTES + 10));
    const put = blobs.put('att/cut', source);
    // Wait until the first part is on its way, then cut the source.
    await expect.poll(() => s3.requests.some((r) => r.operation === 'UploadPart' && r.answer === 200)).toBe(true);
    source.destroy(new Error('connection cut'));
    await expect(put).rejects.toThrow('connection cut');
    // The put settles once the multipart upload is aborted, not before.
    expect(s3.uploads.size).toBe(0);
    expect(s3.objects.size).toBe(0);
    expect(operations()).toEqual(['CreateMultipartUpload 200', 'UploadPart 200', 'AbortMultipartUpload 204']);
  });

  it('rejects when the storage keeps failing, after the SDK’s retries, and aborts a multipart upload', async () => {
    s3.fail('PutObject', 'error');
    await expect(blobs.put('att/small', streamOf(patterned(100)))).rejects.toMatchObject({ name: 'InternalError' });
    expect(operations()).toEqual(['PutObject 500', 'PutObject 500', 'PutObject 500']);

    s3.requests.length = 0;
    s3.fail('UploadPart', 'drop');
    await expect(blobs.put('att/large', streamOf(patterned(S3_PART_BYTES + 10)))).rejects.toThrow();
    expect(s3.uploads.size).toBe(0);
    expect(s3.objects.size).toBe(0);
    expect(operations()).toEqual(['CreateMultipartUpload 200', 'UploadPart dropped', 'UploadPart dropped', 'UploadPart dropped', 'AbortMultipartUpload 204']);
  });

  it('answers a read that the storage refuses with the storage’s error, not BlobMissing', async () => {
    await blobs.put('att/x', streamOf(patterned(10)));
    s3.fail('GetObject', 'error');
    const error = await blobs.open('att/x').catch((e: unknown) => e);
    expect(error).not.toBeInstanceOf(BlobMissing);
    expect(error).toMatchObject({ name: 'InternalError' });
  });
});

/**
 * Files in an S3-compatible bucket (`PARLEY_S3_URL`): AWS S3, MinIO, Ceph, R2, Garage… An upload streams
 * through @aws-sdk/lib-storage's multipart upload, one 5 MB part at a time (S3's smallest part), so at most
 * one part is in memory (a file under 5 MB is one PutObject); a failed upload is aborted, and the put settles
 * once it is, leaving no parts. Addressed path-style, and with
 * checksums only where the API requires them: several S3-compatible servers refuse the SDK's newer default
 * of streamed trailing checksums.
 */
import { DeleteObjectCommand, GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { Readable } from 'node:stream';
import type { S3Config } from '../config.js';
import { BlobMissing, checkKey, type BlobStore } from './blob-store.js';

export const S3_PART_BYTES = 5 * 1024 * 1024;

export function createS3BlobStore(config: S3Config): BlobStore {
  const client = new S3Client({
    region: config.region,
    ...(config.endpoint ? { endpoint: config.endpoint, forcePathStyle: true } : {}),
    ...(config.credentials ? { credentials: config.credentials } : {}),
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    maxAttempts: 3,
  });
  const keyOf = (key: string) => `${config.prefix}${checkKey(key)}`;
  return {
    kind: 's3',
    async put(key, source) {
      // The SDK reads the source with an async iterator, which rejects with the source's error: the upload
      // then fails with that error, and done() settles only once a multipart upload is aborted. (Calling
      // upload.abort() instead would settle done() at once, with the abort still to be sent.)
      // The SDK guesses a body's length from its `byteLength`, `length`, `size` or `start`/`end` when it has
      // one (the inspector's own `size` was 0: "Expected 0 part(s)" for every file past 5 MB), so it gets a
      // plain stream of the source's bytes, whose length it does not know.
      const body = Readable.from(source, { objectMode: false });
      const upload = new Upload({ client, params: { Bucket: config.bucket, Key: keyOf(key), Body: body }, queueSize: 1, partSize: S3_PART_BYTES, leavePartsOnError: false });
      await upload.done();
    },
    async open(key) {
      try {
        const answer = await client.send(new GetObjectCommand({ Bucket: config.bucket, Key: keyOf(key) }));
        if (!answer.Body) throw new BlobMissing(key);
        return answer.Body as Readable;
      } catch (error) {
        if (error instanceof Error && (error.name === 'NoSuchKey' || error.name === 'NotFound')) throw new BlobMissing(key);
        throw error;
      }
    },
    async delete(key) {
      await client.send(new DeleteObjectCommand({ Bucket: config.bucket, Key: keyOf(key) }));
    },
  };
}

/**
 * Files in an S3-compatible bucket (`PARLEY_S3_URL`): AWS S3, MinIO, Ceph, R2, Garage… An upload streams
 * through @aws-sdk/lib-storage's multipart upload, one 5 MB part at a time (S3's smallest part), so at most
 * one part is in memory; a failed upload is aborted and leaves no parts. Addressed path-style, and with
 * checksums only where the API requires them: several S3-compatible servers refuse the SDK's newer default
 * of streamed trailing checksums.
 */
import { DeleteObjectCommand, GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import type { Readable } from 'node:stream';
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
      const upload = new Upload({ client, params: { Bucket: config.bucket, Key: keyOf(key), Body: source }, queueSize: 1, partSize: S3_PART_BYTES, leavePartsOnError: false });
      // The SDK reads the source itself; its error must fail the upload (and abort it), not go unheard.
      await new Promise<void>((resolve, reject) => {
        source.once('error', (error) => {
          void upload.abort().catch(() => undefined);
          reject(error);
        });
        upload.done().then(() => resolve(), reject);
      });
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

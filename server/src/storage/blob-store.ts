/**
 * Where the bytes of attached files live (docs/attachments.md, Storage), behind one interface: a folder
 * (the default, `./data/files`), the database (PostgreSQL or SQLite, in chunks), or an S3-compatible bucket.
 * Every implementation takes a stream and gives one, so no file is ever held whole in memory; a `put`
 * whose source fails leaves nothing stored.
 */
import type { Readable } from 'node:stream';
import type { FileStorageConfig } from '../config.js';
import type { Store } from '../store/database.js';
import { createDatabaseBlobStore } from './database-blobs.js';
import { createFolderBlobStore } from './folder-blobs.js';
import { createS3BlobStore } from './s3-blobs.js';

export interface BlobStore {
  readonly kind: FileStorageConfig['kind'];
  /** Stores all of `source` under `key` (a new key); rejects with the source's error, leaving nothing behind. */
  put(key: string, source: Readable): Promise<void>;
  /** The bytes stored under `key`; rejects with BlobMissing when there are none. */
  open(key: string): Promise<Readable>;
  /** Removes what `key` holds; nothing stored is no error. */
  delete(key: string): Promise<void>;
}

/** Nothing is stored under the key (deleted meanwhile, or lost with a folder that was not kept). */
export class BlobMissing extends Error {
  override name = 'BlobMissing';
}

/** The store the configuration names. */
export function createBlobStore(config: FileStorageConfig, store: Store): BlobStore {
  switch (config.kind) {
    case 'folder':
      return createFolderBlobStore(config.path);
    case 'database':
      return createDatabaseBlobStore(store);
    case 's3':
      return createS3BlobStore(config.s3);
  }
}

/** Storage keys are made by Parley (attachments/), never from input: letters, digits, `_`, `-` and `/`. */
export function checkKey(key: string): string {
  if (!/^[A-Za-z0-9_-]+(?:\/[A-Za-z0-9_-]+)*$/.test(key)) throw new TypeError(`not a storage key: ${key}`);
  return key;
}

/**
 * Files in the database (`PARLEY_FILE_STORAGE=database`), for several instances on one PostgreSQL without a
 * shared folder or a bucket: the bytes in rows of 256 KB (blob_chunks), written as they arrive and read
 * back one row at a time, so neither side holds a whole file. A failed upload's rows are deleted.
 */
import { Readable } from 'node:stream';
import type { Store } from '../store/database.js';
import { BlobMissing, checkKey, type BlobStore } from './blob-store.js';

export const CHUNK_BYTES = 256 * 1024;

export function createDatabaseBlobStore({ db }: Store): BlobStore {
  const remove = (key: string) => db.deleteFrom('blob_chunks').where('storage_key', '=', key).execute();
  return {
    kind: 'database',
    async put(key, source) {
      checkKey(key);
      let n = 0;
      let pending: Buffer[] = [];
      let pendingBytes = 0;
      const flush = async () => {
        const data = Buffer.concat(pending, pendingBytes);
        pending = [];
        pendingBytes = 0;
        await db.insertInto('blob_chunks').values({ storage_key: key, n: n++, data }).execute();
      };
      try {
        for await (const chunk of source) {
          let bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array);
          while (bytes.length > 0) {
            const take = Math.min(bytes.length, CHUNK_BYTES - pendingBytes);
            pending.push(bytes.subarray(0, take));
            pendingBytes += take;
            bytes = bytes.subarray(take);
            if (pendingBytes === CHUNK_BYTES) await flush();
          }
        }
        if (pendingBytes > 0 || n === 0) await flush();
      } catch (error) {
        await remove(key);
        throw error;
      }
    },
    async open(key) {
      checkKey(key);
      const first = await db.selectFrom('blob_chunks').select('n').where('storage_key', '=', key).where('n', '=', 0).executeTakeFirst();
      if (!first) throw new BlobMissing(key);
      async function* chunks() {
        for (let n = 0; ; n++) {
          const row = await db.selectFrom('blob_chunks').select('data').where('storage_key', '=', key).where('n', '=', n).executeTakeFirst();
          if (!row) return;
          yield Buffer.from(row.data);
        }
      }
      return Readable.from(chunks());
    },
    async delete(key) {
      checkKey(key);
      await remove(key);
    },
  };
}

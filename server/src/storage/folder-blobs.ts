/**
 * Files in a folder: each key is a file, written under a temporary name and renamed into place once
 * complete, so a reader never finds half a file and a failed upload leaves only its temporary file, which
 * is removed. Fits one instance, or several that share the folder (a network volume).
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { dirname, join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { BlobMissing, checkKey, type BlobStore } from './blob-store.js';

export function createFolderBlobStore(folder: string): BlobStore {
  const root = resolve(folder);
  const pathOf = (key: string) => join(root, ...checkKey(key).split('/'));
  return {
    kind: 'folder',
    async put(key, source) {
      const path = pathOf(key);
      await mkdir(dirname(path), { recursive: true });
      const partial = `${path}.${randomBytes(6).toString('hex')}.partial`;
      try {
        await pipeline(source, createWriteStream(partial, { flags: 'wx' }));
        await rename(partial, path);
      } catch (error) {
        await rm(partial, { force: true });
        throw error;
      }
    },
    async open(key) {
      const path = pathOf(key);
      try {
        await stat(path);
      } catch {
        throw new BlobMissing(key);
      }
      return createReadStream(path);
    },
    async delete(key) {
      try {
        await rm(pathOf(key), { force: true });
      } catch (error) {
        // A file where a folder of the path should be: nothing can be stored under it.
        if ((error as NodeJS.ErrnoException).code !== 'ENOTDIR') throw error;
      }
    },
  };
}

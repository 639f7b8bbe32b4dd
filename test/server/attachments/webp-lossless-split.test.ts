/** A lossless WebP whose header arrives in pieces is measured from its whole header, not as 1 × 1. */
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { expect, it } from 'vitest';
import { FileInspector } from '../../../server/src/attachments/inspect.js';

it('measures a VP8L WebP sent in 7-byte chunks as 9 × 4', async () => {
  const b = Buffer.alloc(30);
  b.write('RIFF', 0);
  b.writeUInt32LE(22, 4);
  b.write('WEBP', 8);
  b.write('VP8L', 12);
  b.writeUInt32LE(5, 16);
  b[20] = 0x2f;
  b.writeUInt32LE((9 - 1) | ((4 - 1) << 14), 21);
  const inspector = new FileInspector('a.webp', 1024);
  const chunks = [0, 7, 14, 21, 28].map((i) => b.subarray(i, i + 7));
  await pipeline(Readable.from(chunks), inspector, new Writable({ write: (_c, _e, done) => done() }));
  expect([inspector.result().width, inspector.result().height]).toEqual([9, 4]);
});

/**
 * The inspector's image dimensions, however the bytes arrive (attachments/inspect.ts): it keeps the first
 * 512 KB in one growing buffer and tries image-size only when the kept bytes have doubled, at the 512 KB
 * mark and at the end. Whatever the chunking, its answer must be the one image-size gives on all the bytes
 * it keeps (the first min(size, 512 KB)), which is what trying at every chunk gave. fast-check prints the
 * seed of a failing run.
 */
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import fc from 'fast-check';
import { imageSize } from 'image-size';
import { describe, expect, it } from 'vitest';
import { FileInspector } from '../../../server/src/attachments/inspect.js';
import { PNG_3x2 } from '../../helpers/files.js';

const KEPT = 512 * 1024;

/** A baseline JPEG whose size (SOF0) follows `appBytes` of APP1 metadata of seeded noise, in segments of at most 65,000 bytes. */
function jpeg(width: number, height: number, appBytes: number, seed: number): Buffer {
  const parts = [Buffer.from([0xff, 0xd8])];
  let state = seed >>> 0 || 1;
  for (let left = appBytes; left > 0; ) {
    const body = Math.min(left, 65_000);
    const header = Buffer.from([0xff, 0xe1, 0, 0]);
    header.writeUInt16BE(body + 2, 2);
    const noise = Buffer.allocUnsafe(body);
    for (let i = 0; i < body; i++) {
      state ^= state << 13;
      state ^= state >>> 17;
      state ^= state << 5;
      noise[i] = state & 0xff;
    }
    parts.push(header, noise);
    left -= body;
  }
  const sof = Buffer.from([0xff, 0xc0, 0, 17, 8, 0, 0, 0, 0, 3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1]);
  sof.writeUInt16BE(height, 5);
  sof.writeUInt16BE(width, 7);
  parts.push(sof, Buffer.from([0xff, 0xda, 0, 8, 1, 1, 0, 0, 0x3f, 0]), Buffer.alloc(64, 0x11), Buffer.from([0xff, 0xd9]));
  return Buffer.concat(parts);
}

/** What image-size makes of the bytes the inspector keeps: the answer expected of it. */
function expected(data: Buffer): [number, number] | [null, null] {
  try {
    const size = imageSize(new Uint8Array(data.subarray(0, Math.min(data.length, KEPT))));
    return size.width > 0 && size.height > 0 ? [size.width, size.height] : [null, null];
  } catch {
    return [null, null];
  }
}

/** The smallest number of first bytes from which image-size tells the dimensions. */
function bytesNeeded(data: Buffer): number {
  let [low, high] = [1, data.length];
  while (low < high) {
    const mid = (low + high) >> 1;
    if (expected(data.subarray(0, mid))[0] === null) low = mid + 1;
    else high = mid;
  }
  return low;
}

/** `data` cut at `sizes`, taken in turn. */
function cut(data: Buffer, sizes: number[]): Buffer[] {
  const chunks: Buffer[] = [];
  for (let at = 0, i = 0; at < data.length; i++) {
    const size = sizes[i % sizes.length]!;
    chunks.push(data.subarray(at, at + size));
    at += size;
  }
  return chunks;
}

async function measure(chunks: Buffer[], name: string): Promise<{ dimensions: [number | null, number | null]; out: Buffer }> {
  const inspector = new FileInspector(name, 4 * 1024 * 1024);
  const out: Buffer[] = [];
  await pipeline(Readable.from(chunks), inspector, new Writable({ write: (chunk: Buffer, _e, done) => (out.push(chunk), done()) }));
  const { width, height } = inspector.result();
  return { dimensions: [width, height], out: Buffer.concat(out) };
}

describe('FileInspector: image dimensions however the bytes are cut', () => {
  it('answers what image-size says of the kept bytes, for JPEG metadata of any length around the 512 KB mark, in any chunks', async () => {
    const near = (at: number, by: number) => fc.integer({ min: Math.max(1, at - by), max: at + by });
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.integer({ min: 1, max: 600 * 1024 }), near(KEPT - 40, 70 * 1024), near(KEPT - 40, 64)),
        fc.array(fc.integer({ min: 256, max: 70_000 }), { minLength: 1, maxLength: 5 }),
        fc.integer(),
        async (appBytes, sizes, seed) => {
          const data = jpeg(1920, 1080, appBytes, seed);
          const { dimensions, out } = await measure(cut(data, sizes), 'photo.jpg');
          expect([dimensions, out.equals(data)]).toEqual([expected(data), true]);
        },
      ),
      { numRuns: 40 },
    );
  });

  it('finds a size whose last byte is the 512th KB kept, and none a byte later, in chunks of 1 byte to 64 KB', async () => {
    // Metadata so long that image-size needs exactly the first 512 KB.
    let appBytes = KEPT - 100;
    for (let i = 0; i < 10 && bytesNeeded(jpeg(800, 600, appBytes, 7)) !== KEPT; i++) appBytes += KEPT - bytesNeeded(jpeg(800, 600, appBytes, 7));
    const atTheMark = jpeg(800, 600, appBytes, 7);
    expect(bytesNeeded(atTheMark)).toBe(KEPT);
    const past = jpeg(800, 600, appBytes + 1, 7);
    for (const sizes of [[1], [7], [1000], [4096, 3], [65_536], [KEPT - 1, 2], [atTheMark.length]]) {
      expect([sizes, (await measure(cut(atTheMark, sizes), 'mark.jpg')).dimensions]).toEqual([sizes, [800, 600]]);
      expect([sizes, (await measure(cut(past, sizes), 'past.jpg')).dimensions]).toEqual([sizes, [null, null]]);
    }
  });

  it('measures small images whatever their chunks, at the end when they are shorter than a try needs', async () => {
    const gif = Buffer.concat([Buffer.from('GIF89a'), Buffer.from([5, 0, 7, 0]), Buffer.alloc(12)]);
    await fc.assert(
      fc.asyncProperty(fc.constantFrom<[Buffer, string]>([PNG_3x2, 'a.png'], [gif, 'a.gif'], [jpeg(640, 480, 16, 3), 'a.jpg']), fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 6 }), async ([data, name], sizes) => {
        const { dimensions, out } = await measure(cut(data, sizes), name);
        expect([dimensions, out.equals(data)]).toEqual([expected(data), true]);
        expect(dimensions[0]).not.toBeNull();
      }),
      { numRuns: 60 },
    );
  });
});

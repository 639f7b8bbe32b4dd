/**
 * The upload inspector and the rules it applies (attachments/): kinds told by content and name, the name
 * made harmless, and the stream watched chunk by chunk — size limit, UTF-8 to the end, image dimensions
 * however the bytes arrive.
 */
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { cleanFileName, nameForKind } from '../../../server/src/attachments/file-name.js';
import { extensionOf, judgeStart, type FileKind } from '../../../server/src/attachments/file-types.js';
import { FileInspector, type Inspection } from '../../../server/src/attachments/inspect.js';
import { ParleyError } from '../../../server/src/errors.js';
import { PNG_3x2 } from '../../helpers/files.js';

const PDF = Buffer.from('%PDF-1.7\n%%EOF\n');
const ZIP = Buffer.concat([Buffer.from([0x50, 0x4b, 0x03, 0x04]), Buffer.alloc(20, 1)]);
const ZIP_EMPTY = Buffer.concat([Buffer.from([0x50, 0x4b, 0x05, 0x06]), Buffer.alloc(18)]);
const CFB = Buffer.concat([Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]), Buffer.alloc(24)]);
const GIF_5x7 = Buffer.concat([Buffer.from('GIF89a'), Buffer.from([5, 0, 7, 0]), Buffer.alloc(16)]);
/** A lossless WebP header (VP8L): width 9 and height 4, stored minus one in 14 bits each. */
const WEBP_9x4 = (() => {
  const b = Buffer.alloc(30);
  b.write('RIFF', 0);
  b.writeUInt32LE(22, 4);
  b.write('WEBP', 8);
  b.write('VP8L', 12);
  b.writeUInt32LE(5, 16);
  b[20] = 0x2f;
  b.writeUInt32LE((9 - 1) | ((4 - 1) << 14), 21);
  return b;
})();

/** A baseline JPEG whose size (SOF0) comes after `appBytes` of APP1 metadata, in segments of at most 64 KB (a real JPEG always has at least one APPn segment first; image-size expects one). */
function jpeg(width: number, height: number, appBytes: number): Buffer {
  const parts = [Buffer.from([0xff, 0xd8])];
  for (let left = appBytes; left > 0; ) {
    const body = Math.min(left, 65_000);
    const header = Buffer.from([0xff, 0xe1, 0, 0]);
    header.writeUInt16BE(body + 2, 2);
    parts.push(header, Buffer.alloc(body, 0x45));
    left -= body;
  }
  const sof = Buffer.from([0xff, 0xc0, 0, 17, 8, 0, 0, 0, 0, 3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1]);
  sof.writeUInt16BE(height, 5);
  sof.writeUInt16BE(width, 7);
  parts.push(sof, Buffer.from([0xff, 0xda, 0, 8, 1, 1, 0, 0, 0x3f, 0]), Buffer.alloc(64, 0x11), Buffer.from([0xff, 0xd9]));
  return Buffer.concat(parts);
}

/** Streams `chunks` through an inspector; answers its result and the bytes that came out, or its error. */
async function inspect(chunks: Buffer[], name: string, max = 1024 * 1024): Promise<{ result: Inspection; out: Buffer } | { error: unknown }> {
  const inspector = new FileInspector(name, max);
  const out: Buffer[] = [];
  const sink = new Writable({ write: (chunk: Buffer, _e, done) => (out.push(chunk), done()) });
  try {
    await pipeline(Readable.from(chunks), inspector, sink);
    return { result: inspector.result(), out: Buffer.concat(out) };
  } catch (error) {
    return { error };
  }
}
const bytesOf = (data: Buffer, size: number) => Array.from({ length: Math.ceil(data.length / size) }, (_, i) => data.subarray(i * size, (i + 1) * size));
const codeOf = (r: Awaited<ReturnType<typeof inspect>>) => ('error' in r ? (r.error instanceof ParleyError ? [r.error.code, r.error.message] : ['not a ParleyError', String(r.error)]) : ['accepted', r.result.kind.type]);
const typeOf = (verdict: ReturnType<typeof judgeStart>) => (verdict === null ? null : 'text' in verdict ? `text:${verdict.text.type}` : verdict.type);

describe('judgeStart: the kind from the first bytes and the name', () => {
  it('knows every kind of the allowlist, with or without its extension where the content tells', () => {
    const cases: [Buffer, string, string | null][] = [
      [PNG_3x2, 'a.png', 'image/png'],
      [PNG_3x2, 'a.PNG', 'image/png'],
      [PNG_3x2, 'pasted', 'image/png'],
      [jpeg(1, 1, 0), 'a.jpg', 'image/jpeg'],
      [jpeg(1, 1, 0), 'a.jpeg', 'image/jpeg'],
      [GIF_5x7, 'a.gif', 'image/gif'],
      [Buffer.concat([Buffer.from('GIF87a'), Buffer.alloc(10)]), 'old.gif', 'image/gif'],
      [WEBP_9x4, 'a.webp', 'image/webp'],
      [PDF, 'a.pdf', 'application/pdf'],
      [PDF, 'a', 'application/pdf'],
      [ZIP, 'a.zip', 'application/zip'],
      [ZIP, 'a', 'application/zip'],
      [ZIP_EMPTY, 'empty.zip', 'application/zip'],
      [ZIP, 'a.docx', 'application/vnd.openxmlformats-officedocument.wordprocessingml.document'],
      [ZIP, 'a.xlsx', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'],
      [ZIP, 'a.pptx', 'application/vnd.openxmlformats-officedocument.presentationml.presentation'],
      [ZIP, 'a.odt', 'application/vnd.oasis.opendocument.text'],
      [ZIP, 'a.ods', 'application/vnd.oasis.opendocument.spreadsheet'],
      [ZIP, 'a.odp', 'application/vnd.oasis.opendocument.presentation'],
      [CFB, 'a.doc', 'application/msword'],
      [CFB, 'a.xls', 'application/vnd.ms-excel'],
      [CFB, 'a.ppt', 'application/vnd.ms-powerpoint'],
      [Buffer.from('hello world!'), 'a.txt', 'text:text/plain'],
      [Buffer.from('hello world!'), 'a.log', 'text:text/plain'],
      [Buffer.from('# hello world'), 'a.md', 'text:text/markdown'],
      [Buffer.from('a,b\n1,2\n3,4\n'), 'a.csv', 'text:text/csv'],
    ];
    expect(cases.map(([bytes, name]) => [name, typeOf(judgeStart(bytes, name))])).toEqual(cases.map(([, name, type]) => [name, type]));
  });

  it('refuses what the name belies, what has no signature and no text name, and the kinds outside the list', () => {
    const cases: [Buffer, string][] = [
      [PNG_3x2, 'a.jpg'],
      [PNG_3x2, 'a.pdf'],
      [jpeg(1, 1, 0), 'a.png'],
      [PDF, 'a.png'],
      [PDF, 'a.txt'],
      [ZIP, 'a.pdf'],
      [ZIP, 'a.txt'],
      [ZIP, 'a.doc'],
      [CFB, 'a.docx'],
      [CFB, 'a'],
      [Buffer.from('<!doctype html><p>'), 'a.html'],
      [Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>'), 'a.svg'],
      [Buffer.from('<!doctype html><p>'), 'a.png'],
      [Buffer.from('MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00'), 'setup.exe'],
      [Buffer.from('hello world!'), 'a'],
      [Buffer.from('hello world!'), 'a.js'],
    ];
    expect(cases.map(([bytes, name]) => [name, judgeStart(bytes, name)])).toEqual(cases.map(([, name]) => [name, null]));
  });

  it('reads the extension after the last dot, lower case; a leading dot is no extension', () => {
    expect(['a.PDF', 'a.tar.gz', 'noext', '.bashrc', 'a.'].map(extensionOf)).toEqual(['pdf', 'gz', '', '', '']);
  });
});

describe('cleanFileName', () => {
  it('keeps only the last segment of any path', () => {
    expect(['../../etc/passwd', 'C:\\Users\\ada\\Desktop\\shot.png', '/abs/a.pdf', 'dir\\..\\x.txt', 'a/b/'].map(cleanFileName)).toEqual(['passwd', 'shot.png', 'a.pdf', 'x.txt', 'file']);
  });

  it('takes out controls, bidirectional overrides, isolates and separators', () => {
    expect(cleanFileName('invoice\u202efdp.exe')).toBe('invoicefdp.exe');
    expect(cleanFileName('a\u2066b\u2067c\u2068d\u2069e\u202af\u202bg\u202ch\u202di\u200ej\u200fk.txt')).toBe('abcdefghijk.txt');
    expect(cleanFileName('line\nbreak\r\t\u0000\u0007\u007f\u0085\u2028\u2029.txt')).toBe('linebreak.txt');
    expect(cleanFileName('naïve café — 日本.pdf')).toBe('naïve café — 日本.pdf');
  });

  it('names what is left empty `file`, and drops leading dots', () => {
    expect(['', '   ', '\u202e', '...', '..', '.htaccess', '../'].map(cleanFileName)).toEqual(['file', 'file', 'file', 'file', 'file', 'htaccess', 'file']);
  });

  it('cuts a long name to 200 characters, keeping a short extension', () => {
    const long = cleanFileName(`${'a'.repeat(300)}.pdf`);
    expect([long.length, long.endsWith('a.pdf')]).toEqual([200, true]);
    expect(cleanFileName('a'.repeat(200))).toBe('a'.repeat(200));
    expect(cleanFileName(`${'a'.repeat(250)}.${'x'.repeat(11)}`)).toBe('a'.repeat(200));
    // Characters, not UTF-16 units: an emoji is never cut in half.
    const emoji = cleanFileName(`${'😀'.repeat(250)}.png`);
    expect([[...emoji].length, emoji.endsWith('😀.png'), emoji.isWellFormed()]).toEqual([200, true, true]);
  });

  it('adds the kind’s extension to a name with none', () => {
    const png = judgeStart(PNG_3x2, 'x') as FileKind;
    expect([nameForKind('pasted', png), nameForKind('shot.png', png), nameForKind('shot.PNG', png)]).toEqual(['pasted.png', 'shot.png', 'shot.PNG']);
    expect(nameForKind('photo', judgeStart(jpeg(1, 1, 0), 'x') as FileKind)).toBe('photo.jpg');
  });
});

describe('FileInspector', () => {
  it('passes every byte through and tells the kind, size and an image’s dimensions', async () => {
    const cases: [Buffer, string, string, number | null, number | null][] = [
      [PNG_3x2, 'a.png', 'image/png', 3, 2],
      [jpeg(640, 480, 16), 'a.jpg', 'image/jpeg', 640, 480],
      [GIF_5x7, 'a.gif', 'image/gif', 5, 7],
      [WEBP_9x4, 'a.webp', 'image/webp', 9, 4],
      [PDF, 'a.pdf', 'application/pdf', null, null],
      [ZIP, 'a.docx', 'application/vnd.openxmlformats-officedocument.wordprocessingml.document', null, null],
      [CFB, 'a.xls', 'application/vnd.ms-excel', null, null],
      [Buffer.from('hi'), 'short.txt', 'text/plain', null, null],
      [Buffer.from('a,b\n'), 'short.csv', 'text/csv', null, null],
    ];
    for (const [data, name, type, width, height] of cases) {
      const r = await inspect([data], name);
      if ('error' in r) throw r.error;
      expect([name, r.result.kind.type, r.result.size, r.result.width, r.result.height, r.out.equals(data)]).toEqual([name, type, data.length, width, height, true]);
    }
  });

  it('finds a JPEG’s size after 100 KB of metadata, however it is cut', async () => {
    const data = jpeg(1920, 1080, 100 * 1024);
    for (const size of [data.length, 64 * 1024, 4096, 1000]) {
      const r = await inspect(bytesOf(data, size), 'photo.jpg');
      expect('result' in r && [r.result.width, r.result.height]).toEqual([1920, 1080]);
    }
  });

  it('an image whose dimensions no kept byte tells is still that image, without dimensions', async () => {
    // The size marker only after the 512 KB the inspector keeps.
    const data = jpeg(800, 600, 600 * 1024);
    const r = await inspect(bytesOf(data, 64 * 1024), 'late.jpg');
    expect('result' in r && [r.result.kind.type, r.result.width, r.result.height, r.result.size]).toEqual(['image/jpeg', null, null, data.length]);
  });

  it('judges and measures a PNG arriving one byte at a time, never from a header cut short', async () => {
    // Run often: a half-read header once measured from whatever bytes followed it in memory.
    for (let i = 0; i < 50; i++) {
      const r = await inspect(bytesOf(PNG_3x2, 1), 'one-by-one.png');
      expect('result' in r && [r.result.kind.type, r.result.width, r.result.height, r.out.equals(PNG_3x2)]).toEqual(['image/png', 3, 2, true]);
    }
    // A lossless WebP's size is read by index: before its 30 bytes are all there, it once read as 1 × 1.
    for (const [data, name, w, h] of [[GIF_5x7, 'a.gif', 5, 7], [jpeg(640, 480, 16), 'a.jpg', 640, 480], [WEBP_9x4, 'a.webp', 9, 4]] as const) {
      for (const size of [1, 3, 7]) {
        const r = await inspect(bytesOf(data, size), name);
        expect([name, size, 'result' in r && [r.result.width, r.result.height]]).toEqual([name, size, [w, h]]);
      }
    }
    // A file shorter than the signature, one byte at a time, is judged at its end.
    const t = await inspect(bytesOf(Buffer.from('ok'), 1), 'tiny.txt');
    expect(codeOf(t)).toEqual(['accepted', 'text/plain']);
  });

  it('takes UTF-8 split across chunks, and refuses a character cut at the end, invalid bytes and NUL', async () => {
    const text = Buffer.from('prix: 12 € — ünïcödé 日本語 😀\n');
    for (const size of [1, 2, 3, 5, 13]) expect(codeOf(await inspect(bytesOf(text, size), 'notes.txt'))).toEqual(['accepted', 'text/plain']);
    const cut = Buffer.concat([Buffer.from('twelve bytes and a euro: '), Buffer.from('€').subarray(0, 2)]);
    expect(codeOf(await inspect(bytesOf(cut, 4), 'cut.txt'))).toEqual(['attachment_type_unsupported', 'A text file must be UTF-8.']);
    expect(codeOf(await inspect([Buffer.from('€').subarray(0, 1)], 'one.txt'))).toEqual(['attachment_type_unsupported', 'A text file must be UTF-8.']);
    const latin1 = Buffer.from('caf\xe9 au lait, twice', 'latin1');
    expect(codeOf(await inspect(bytesOf(latin1, 3), 'latin1.txt'))).toEqual(['attachment_type_unsupported', 'A text file must be UTF-8.']);
    const nul = Buffer.from(`${'x'.repeat(5000)}\u0000tail`);
    expect(codeOf(await inspect(bytesOf(nul, 1024), 'nul.log'))).toEqual(['attachment_type_unsupported', 'A text file may not contain NUL characters.']);
    expect(codeOf(await inspect([Buffer.from('a\u0000')], 'short-nul.md'))).toEqual(['attachment_type_unsupported', 'A text file may not contain NUL characters.']);
  });

  it('refuses an empty file and a refused kind, at its first bytes', async () => {
    expect(codeOf(await inspect([], 'empty.txt'))).toEqual(['attachment_type_unsupported', 'The file is empty.']);
    expect(codeOf(await inspect([Buffer.alloc(0)], 'empty.png'))).toEqual(['attachment_type_unsupported', 'The file is empty.']);
    const html = await inspect([Buffer.from('<!doctype html><script>alert(1)</script>')], 'cat.png');
    expect(codeOf(html)[0]).toBe('attachment_type_unsupported');
    expect(codeOf(await inspect([Buffer.from('hello')], 'short.exe'))[0]).toBe('attachment_type_unsupported');
  });

  it('allows exactly the limit and refuses one byte more, counted across chunks', async () => {
    const max = 4096;
    const exact = Buffer.concat([PNG_3x2, Buffer.alloc(max - PNG_3x2.length)]);
    const r = await inspect(bytesOf(exact, 1000), 'max.png', max);
    expect('result' in r && r.result.size).toBe(max);
    const over = Buffer.concat([exact, Buffer.from([0])]);
    expect(codeOf(await inspect(bytesOf(over, 1000), 'over.png', max))).toEqual(['attachment_too_large', `A file may be at most ${max} bytes.`]);
    expect(codeOf(await inspect([over], 'over.png', max))[0]).toBe('attachment_too_large');
    const text = Buffer.alloc(max, 'a');
    expect(codeOf(await inspect(bytesOf(text, 999), 'max.txt', max))).toEqual(['accepted', 'text/plain']);
    expect(codeOf(await inspect(bytesOf(Buffer.concat([text, Buffer.from('a')]), 999), 'over.txt', max))[0]).toBe('attachment_too_large');
  });

  it('has no result before it has finished, nor after a refusal', async () => {
    const inspector = new FileInspector('a.png', 1024);
    expect(() => inspector.result()).toThrow(TypeError);
  });
});

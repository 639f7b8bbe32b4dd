/**
 * Looks at an upload as it streams past, without holding it: counts its bytes against the size limit,
 * judges its kind from its first bytes and name (file-types.ts), checks that a text file is UTF-8 to the
 * end, and keeps the first bytes of an image until its width and height are known (image-size), so the
 * clients can reserve an image's space before it loads. Any refusal errors the stream with a ParleyError,
 * which stops the upload where it is.
 */
import { Transform, type TransformCallback } from 'node:stream';
import { imageSize } from 'image-size';
import { ParleyError } from '../errors.js';
import { judgeStart, SIGNATURE_BYTES, type FileKind } from './file-types.js';

/** JPEG keeps its dimensions after its metadata (EXIF, a thumbnail): look this far for them. */
const IMAGE_HEAD_BYTES = 512 * 1024;

export interface Inspection {
  kind: FileKind;
  size: number;
  width: number | null;
  height: number | null;
}

const refused = (message?: string) => new ParleyError('attachment_type_unsupported', message);

export class FileInspector extends Transform {
  private size = 0;
  /** The first bytes, in one buffer whose room doubles as it fills (never a list joined again per chunk). */
  private head = Buffer.alloc(0);
  private headBytes = 0;
  /** How many bytes were kept at the last try at an image's dimensions: the next waits for twice as many. */
  private triedAt = 0;
  private kind: FileKind | null = null;
  private decoder: TextDecoder | null = null;
  private dimensions: { width: number; height: number } | null = null;
  private done = false;

  constructor(
    private readonly name: string,
    private readonly maxBytes: number,
  ) {
    super();
  }

  /** What the file turned out to be; only once the stream has ended without error. */
  result(): Inspection {
    if (!this.done || !this.kind) throw new TypeError('the inspection is not finished');
    return { kind: this.kind, size: this.size, width: this.dimensions?.width ?? null, height: this.dimensions?.height ?? null };
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    try {
      this.size += chunk.length;
      if (this.size > this.maxBytes) throw new ParleyError('attachment_too_large', `A file may be at most ${this.maxBytes} bytes.`);
      if (!this.kind && !this.decoder) {
        this.keep(chunk);
        if (this.headBytes >= SIGNATURE_BYTES) this.judge();
      } else this.look(chunk);
      callback(null, chunk);
    } catch (error) {
      callback(error as Error);
    }
  }

  override _flush(callback: TransformCallback): void {
    try {
      if (this.size === 0) throw refused('The file is empty.');
      if (!this.kind && !this.decoder) this.judge();
      if (this.decoder) {
        this.text(this.decode(Buffer.alloc(0), false));
        this.kind = this.textKind;
      }
      if (this.kind?.image && !this.dimensions) this.measure();
      this.done = true;
      callback();
    } catch (error) {
      callback(error as Error);
    }
  }

  private textKind: FileKind | null = null;

  private keep(chunk: Buffer): void {
    if (this.headBytes >= IMAGE_HEAD_BYTES) return;
    const take = Math.min(chunk.length, IMAGE_HEAD_BYTES - this.headBytes);
    if (this.headBytes + take > this.head.length) {
      const grown = Buffer.allocUnsafe(Math.min(IMAGE_HEAD_BYTES, Math.max(2 * this.head.length, this.headBytes + take, 1024)));
      this.head.copy(grown, 0, 0, this.headBytes);
      this.head = grown;
    }
    chunk.copy(this.head, this.headBytes, 0, take);
    this.headBytes += take;
  }

  /** Lets the kept bytes go (their count stays: it tells that the kind was judged on them). */
  private release(): void {
    this.head = Buffer.alloc(0);
  }

  private judge(): void {
    const head = this.head.subarray(0, this.headBytes);
    const verdict = judgeStart(head, this.name);
    if (!verdict) throw refused();
    if ('text' in verdict) {
      this.textKind = verdict.text;
      this.decoder = new TextDecoder('utf-8', { fatal: true });
      this.release();
      this.headBytes = 0;
      this.text(this.decode(head));
      return;
    }
    this.kind = verdict;
    if (!verdict.image) this.release();
    else this.measureIfComplete();
  }

  private look(chunk: Buffer): void {
    if (this.decoder) this.text(this.decode(chunk));
    else if (this.kind?.image && !this.dimensions && this.headBytes < IMAGE_HEAD_BYTES) {
      this.keep(chunk);
      this.measureIfComplete();
    }
  }

  private decode(bytes: Buffer, more = true): string {
    try {
      return this.decoder!.decode(bytes, { stream: more });
    } catch {
      throw refused('A text file must be UTF-8.');
    }
  }

  private text(decoded: string): void {
    if (decoded.includes('\u0000')) throw refused('A text file may not contain NUL characters.');
  }

  /**
   * Tries the bytes kept so far; a JPEG whose size marker is further on waits for more. Before the end, not
   * under 30 bytes: image-size reads a lossless WebP's size by index, and bytes not there yet read as 0 (1 × 1).
   * A try copies and parses all the kept bytes, so the next waits until they have doubled (or the keeping
   * stops at IMAGE_HEAD_BYTES): the tries cost at most twice the bytes kept, however small the chunks. The
   * answer is the same as trying at every chunk: image-size reads forward, so once the kept bytes hold the
   * dimensions, every longer run of them gives the same ones.
   */
  private measureIfComplete(final = false): void {
    if (!final && (this.headBytes < 30 || (this.headBytes < 2 * this.triedAt && this.headBytes < IMAGE_HEAD_BYTES))) return;
    if (final && this.triedAt === this.headBytes) return;
    this.triedAt = this.headBytes;
    try {
      // A copy of its own: image-size reads past the end of a view (DataView over .buffer), into other bytes.
      const size = imageSize(new Uint8Array(this.head.subarray(0, this.headBytes)));
      if (size.width > 0 && size.height > 0) {
        this.dimensions = { width: size.width, height: size.height };
        this.release();
      }
    } catch {
      // Not enough bytes yet.
    }
  }

  /** At the end: an image whose dimensions no kept byte tells is still an image, shown without a reserved size. */
  private measure(): void {
    this.measureIfComplete(true);
    this.release();
  }
}

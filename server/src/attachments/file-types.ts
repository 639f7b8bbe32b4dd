/**
 * What a file is, told by its content (docs/attachments.md, Kinds of file): an allowlist of kinds, each
 * recognised by its first bytes (its signature) and named by the extensions it may carry. The name's
 * extension must agree with the content: an HTML page named `.png` is refused, as is a PNG named `.pdf`.
 * Text has no signature: a file named .txt, .csv, .md or .log is text when all of it is UTF-8 without a NUL.
 * ZIP containers (office documents of today, OpenDocument) and the compound files of older office
 * documents are told apart by their extension, since their content says only "ZIP" or "compound file".
 *
 * Written here rather than taken from a file-type library: the allowlist is twelve lines of signatures and
 * the extension rule is Parley's own; a library recognising hundreds of kinds would be one more thing to
 * keep in step with the list below.
 */
import { sniffImage } from '../admin/launcher-icon.js';

export interface FileKind {
  /** The media type it is served with. */
  type: string;
  /** Extensions (lower case, without the dot) a file of this kind may be named with; the first is added to a name with none. */
  extensions: readonly string[];
  image: boolean;
}

const kind = (type: string, extensions: string[], image = false): FileKind => ({ type, extensions, image });

const PNG = kind('image/png', ['png'], true);
const JPEG = kind('image/jpeg', ['jpg', 'jpeg'], true);
const GIF = kind('image/gif', ['gif'], true);
const WEBP = kind('image/webp', ['webp'], true);
const PDF = kind('application/pdf', ['pdf']);
/** ZIP, and the office formats that are ZIP containers, by extension. */
const ZIP_FAMILY: ReadonlyMap<string, FileKind> = new Map([
  ['zip', kind('application/zip', ['zip'])],
  ['docx', kind('application/vnd.openxmlformats-officedocument.wordprocessingml.document', ['docx'])],
  ['xlsx', kind('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', ['xlsx'])],
  ['pptx', kind('application/vnd.openxmlformats-officedocument.presentationml.presentation', ['pptx'])],
  ['odt', kind('application/vnd.oasis.opendocument.text', ['odt'])],
  ['ods', kind('application/vnd.oasis.opendocument.spreadsheet', ['ods'])],
  ['odp', kind('application/vnd.oasis.opendocument.presentation', ['odp'])],
]);
/** Compound File Binary (MS-CFB): Word, Excel and PowerPoint before 2007. */
const CFB_FAMILY: ReadonlyMap<string, FileKind> = new Map([
  ['doc', kind('application/msword', ['doc'])],
  ['xls', kind('application/vnd.ms-excel', ['xls'])],
  ['ppt', kind('application/vnd.ms-powerpoint', ['ppt'])],
]);
const TEXT_FAMILY: ReadonlyMap<string, FileKind> = new Map([
  ['txt', kind('text/plain', ['txt'])],
  ['log', kind('text/plain', ['log'])],
  ['md', kind('text/markdown', ['md'])],
  ['csv', kind('text/csv', ['csv'])],
]);

/** The bytes the signatures need: every one below is decided by the first 12. */
export const SIGNATURE_BYTES = 12;

const PDF_MAGIC = Buffer.from('%PDF-');
const ZIP_MAGICS = [Buffer.from([0x50, 0x4b, 0x03, 0x04]), Buffer.from([0x50, 0x4b, 0x05, 0x06])];
const CFB_MAGIC = Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]);

/** The lower-case extension of `name`, or '' without one. */
export function extensionOf(name: string): string {
  const dot = name.lastIndexOf('.');
  return dot <= 0 ? '' : name.slice(dot + 1).toLowerCase();
}

/**
 * The verdict on a file's first bytes (at least SIGNATURE_BYTES of them, or all of a shorter file) and its
 * name: the kind it is; `text` when it can only be text, which the rest of its bytes must confirm; or null
 * when it is refused.
 */
export function judgeStart(head: Uint8Array, name: string): FileKind | { text: FileKind } | null {
  const ext = extensionOf(name);
  const bytes = Buffer.from(head.buffer, head.byteOffset, head.byteLength);
  const image = sniffImage(bytes);
  const signed = image
    ? { png: PNG, jpg: JPEG, gif: GIF, webp: WEBP }[image.ext]
    : bytes.subarray(0, PDF_MAGIC.length).equals(PDF_MAGIC)
      ? PDF
      : ZIP_MAGICS.some((m) => bytes.subarray(0, 4).equals(m))
        ? (ZIP_FAMILY.get(ext) ?? (ext === '' ? ZIP_FAMILY.get('zip')! : null))
        : bytes.subarray(0, CFB_MAGIC.length).equals(CFB_MAGIC)
          ? (CFB_FAMILY.get(ext) ?? null)
          : undefined;
  if (signed === null) return null;
  if (signed) return ext === '' || signed.extensions.includes(ext) ? signed : null;
  const text = TEXT_FAMILY.get(ext);
  return text ? { text } : null;
}

/**
 * The launcher icon an administrator uploads (docs/admin-api.md, Widget): PNG, JPEG, GIF or WebP, told by
 * its first bytes (never by its name or declared type, which the uploader chooses), at most 64 KB. It is
 * served from Parley's own origin under a name made of its content hash, so that the URL changes with the
 * picture and may be cached for a year.
 */
import { createHash } from 'node:crypto';

export const MAX_LAUNCHER_ICON_BYTES = 64 * 1024;
export const LAUNCHER_ICON_PATH = '/widget/launcher-icon/';
/** `<32 hex digits>.<ext>`: the only names the icon route answers. */
export const LAUNCHER_ICON_FILE = /^[0-9a-f]{32}\.(?:png|jpg|gif|webp)$/;

export interface ImageKind {
  ext: 'png' | 'jpg' | 'gif' | 'webp';
  type: 'image/png' | 'image/jpeg' | 'image/gif' | 'image/webp';
}

export interface LauncherIcon extends ImageKind {
  /** `<hash>.<ext>`, the last segment of its URL. */
  file: string;
  bytes: Buffer;
}

const startsWith = (bytes: Uint8Array, at: number, signature: readonly number[]) =>
  bytes.length >= at + signature.length && signature.every((byte, i) => bytes[at + i] === byte);
const ascii = (text: string) => [...text].map((c) => c.charCodeAt(0));

// Signatures: PNG (ISO/IEC 15948 §5.2), JPEG (SOI then a marker), GIF (87a/89a), WebP (RIFF….WEBP).
const PNG = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const JPEG = [0xff, 0xd8, 0xff];
const GIF87 = ascii('GIF87a');
const GIF89 = ascii('GIF89a');
const RIFF = ascii('RIFF');
const WEBP = ascii('WEBP');

/** What kind of image `bytes` are by their signature, or null for anything else (SVG, text, HTML). */
export function sniffImage(bytes: Uint8Array): ImageKind | null {
  if (startsWith(bytes, 0, PNG)) return { ext: 'png', type: 'image/png' };
  if (startsWith(bytes, 0, JPEG)) return { ext: 'jpg', type: 'image/jpeg' };
  if (startsWith(bytes, 0, GIF87) || startsWith(bytes, 0, GIF89)) return { ext: 'gif', type: 'image/gif' };
  if (startsWith(bytes, 0, RIFF) && startsWith(bytes, 8, WEBP)) return { ext: 'webp', type: 'image/webp' };
  return null;
}

/** The icon of `bytes` of a known kind, named by the first 128 bits of their SHA-256. */
export function launcherIconOf(bytes: Buffer, kind: ImageKind): LauncherIcon {
  const hash = createHash('sha256').update(bytes).digest('hex').slice(0, 32);
  return { ...kind, file: `${hash}.${kind.ext}`, bytes };
}

/** The absolute URL an uploaded icon is served at, on `publicUrl` (which may carry a path). */
export function launcherIconUrl(publicUrl: string, file: string): string {
  return `${publicUrl.replace(/\/+$/, '')}${LAUNCHER_ICON_PATH}${file}`;
}

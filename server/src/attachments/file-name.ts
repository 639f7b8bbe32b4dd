/**
 * The name a file is kept and offered under: what the uploader's browser sent, made harmless. Any path
 * goes (only the last segment stays), so do control characters and the bidirectional overrides that make
 * `invoice‮fdp.exe` read as `invoiceexe.pdf`; at most 200 characters, the extension kept; a name left empty
 * is `file`. A kind recognised by content adds its extension to a name that has none.
 */
import { extensionOf, type FileKind } from './file-types.js';

const MAX_NAME = 200;

export function cleanFileName(raw: string): string {
  const last = raw.split(/[\\/]/).pop() ?? '';
  // C0 and C1 controls, DEL, bidi embeddings/overrides/isolates, and the line and paragraph separators.
  const clean = last.replace(/[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2028\u2029\u2066-\u2069]/g, '').trim().replace(/^\.+/, '');
  if (clean === '') return 'file';
  const chars = [...clean];
  if (chars.length <= MAX_NAME) return clean;
  const ext = extensionOf(clean);
  const tail = ext === '' || ext.length > 10 ? '' : `.${ext}`;
  return chars.slice(0, MAX_NAME - tail.length).join('') + tail;
}

/** `name` with the kind's extension when it has none. */
export function nameForKind(name: string, kind: FileKind): string {
  return extensionOf(name) === '' ? `${name}.${kind.extensions[0]}` : name;
}

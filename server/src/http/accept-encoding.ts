/**
 * Content-coding negotiation (RFC 9110 §12.5.3) for responses the server has ready in several codings: the
 * precompressed embed files. The rules: a coding listed with `q=0` is refused; `*` stands for every coding
 * not listed; `identity` is acceptable unless refused by `identity;q=0` or by `*;q=0` without its own
 * entry; an empty field asks for identity only; without the field any coding would do, and identity is sent
 * (the least surprising to an old client). When every coding is refused, identity is sent anyway rather
 * than a 406, as RFC 9110 recommends: a client that cannot read it is no worse off than with an error.
 */

/** The codings Parley sends. */
export type ContentCoding = 'br' | 'gzip' | 'identity';

/** Every coding, in the server's order of preference when the client's q-values tie. */
export const CODINGS_BY_PREFERENCE: readonly ContentCoding[] = ['br', 'gzip', 'identity'];

/** `qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )` (RFC 9110 §12.4.2). */
const QVALUE = /^(?:0(?:\.\d{0,3})?|1(?:\.0{0,3})?)$/;

/** The q-value of each coding the field names (`x-gzip` is `gzip`, RFC 9110 §8.4.1.3), lower-cased. */
function parse(field: string): Map<string, number> {
  const weights = new Map<string, number>();
  for (const element of field.split(',')) {
    const [rawCoding = '', ...params] = element.split(';');
    const name = rawCoding.trim().toLowerCase();
    if (name === '') continue;
    let q = 1;
    let valid = true;
    for (const param of params) {
      const [key = '', value = ''] = param.split('=').map((s) => s.trim());
      if (key.toLowerCase() !== 'q') continue;
      if (QVALUE.test(value)) q = Number(value);
      else valid = false;
    }
    // An element whose weight cannot be read is ignored, as if it were not there.
    if (!valid) continue;
    const coding = name === 'x-gzip' ? 'gzip' : name;
    // A coding listed twice counts with its higher weight.
    weights.set(coding, Math.max(q, weights.get(coding) ?? 0));
  }
  return weights;
}

/**
 * The coding to answer with, among `available` (which should hold `identity`): the one the client weighs
 * highest, ties broken by the order of `available`. `header` is the request's Accept-Encoding field
 * (undefined when absent; a repeated field arrives joined by commas).
 */
export function negotiateEncoding(header: string | undefined, available: readonly ContentCoding[] = CODINGS_BY_PREFERENCE): ContentCoding {
  if (header === undefined) return 'identity';
  const weights = parse(header);
  const star = weights.get('*');
  let best: ContentCoding = 'identity';
  let bestWeight = 0;
  for (const coding of available) {
    // Unlisted identity is acceptable, but below any coding the client asked for.
    const weight = weights.get(coding) ?? star ?? (coding === 'identity' ? Number.MIN_VALUE : 0);
    if (weight > bestWeight) {
      best = coding;
      bestWeight = weight;
    }
  }
  return best;
}

import { describe, expect, it } from 'vitest';
import { negotiateEncoding, type ContentCoding } from '../../../server/src/http/accept-encoding.js';

describe('negotiateEncoding (RFC 9110 §12.5.3)', () => {
  it.each<[string | undefined, ContentCoding]>([
    // No field: identity, the safest for a client that said nothing.
    [undefined, 'identity'],
    // An empty field asks for no coding.
    ['', 'identity'],
    ['br', 'br'],
    ['gzip', 'gzip'],
    ['identity', 'identity'],
    // Equal weights: the server's preference, br over gzip over identity.
    ['gzip, br', 'br'],
    ['gzip, deflate, br', 'br'],
    ['gzip, identity', 'gzip'],
    // Weights decide before the server's preference.
    ['br;q=0.5, gzip', 'gzip'],
    ['br;q=0.4, gzip;q=0.5', 'gzip'],
    ['gzip;q=0.2, identity;q=0.5', 'identity'],
    // An unlisted identity is acceptable, but below any coding asked for, however lightly.
    ['gzip;q=0.001', 'gzip'],
    ['deflate', 'identity'],
    // q=0 refuses.
    ['br;q=0, gzip', 'gzip'],
    ['br;q=0, gzip;q=0', 'identity'],
    ['br;q=0.000, gzip', 'gzip'],
    ['gzip;q=0, identity', 'identity'],
    // `*` stands for every coding not listed.
    ['*', 'br'],
    ['br;q=0, *', 'gzip'],
    ['gzip, *;q=0.1', 'gzip'],
    ['*;q=0.5, identity', 'identity'],
    // Everything refused, identity too: identity all the same rather than a 406.
    ['*;q=0', 'identity'],
    ['identity;q=0', 'identity'],
    ['br;q=0, gzip;q=0, identity;q=0', 'identity'],
    ['identity;q=0, gzip', 'gzip'],
    ['*;q=0, br', 'br'],
    // Case, spaces, the x-gzip alias, and a coding listed twice (its higher weight counts).
    ['GZIP', 'gzip'],
    ['  br ; q = 1 ,gzip', 'br'],
    ['x-gzip', 'gzip'],
    ['gzip;q=0.1, br;q=0.2, gzip;q=0.9', 'gzip'],
    // An element whose q-value is not one is ignored, not read as 1.
    ['br;q=2, gzip', 'gzip'],
    ['br;q=abc, gzip;q=0.1', 'gzip'],
    ['br;q=0.0001, gzip;q=0.1', 'gzip'],
    // Other parameters do not change the weight.
    ['br;level=1, gzip', 'br'],
  ])('%j → %s', (header, expected) => {
    expect(negotiateEncoding(header)).toBe(expected);
  });

  it('chooses among the codings the server has', () => {
    expect(negotiateEncoding('br, gzip', ['gzip', 'identity'])).toBe('gzip');
    expect(negotiateEncoding('br', ['gzip', 'identity'])).toBe('identity');
    expect(negotiateEncoding('br;q=0.9, gzip', ['identity'])).toBe('identity');
  });
});

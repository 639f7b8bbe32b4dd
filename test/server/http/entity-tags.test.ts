import { describe, expect, it } from 'vitest';
import { ifNoneMatchMatches } from '../../../server/src/http/entity-tags.js';

describe('ifNoneMatchMatches (RFC 9110 §13.1.2)', () => {
  const etag = '"abc-br"';
  it.each<[string | undefined, boolean]>([
    [undefined, false],
    ['', false],
    ['"abc-br"', true],
    ['"abc"', false],
    ['"abc-gzip"', false],
    // Weak comparison: W/ on either side does not matter.
    ['W/"abc-br"', true],
    // A list, in any position, with or without spaces.
    ['"x", "abc-br"', true],
    ['"x","abc-br","y"', true],
    ['"x", W/"abc-br"', true],
    ['"x", "y"', false],
    // `*` matches any current representation.
    ['*', true],
    [' * ', true],
    // An opaque tag may hold a comma: the list is read tag by tag.
    ['"abc-br,x"', false],
    // Unquoted text is not an entity tag.
    ['abc-br', false],
  ])('%j → %s', (header, expected) => {
    expect(ifNoneMatchMatches(header, etag)).toBe(expected);
  });

  it('compares a weak current tag weakly too', () => {
    expect(ifNoneMatchMatches('"1a-2b"', 'W/"1a-2b"')).toBe(true);
    expect(ifNoneMatchMatches('"1a-2c"', 'W/"1a-2b"')).toBe(false);
  });

  it('matches a tag holding a comma', () => {
    expect(ifNoneMatchMatches('"a,b", "c"', '"a,b"')).toBe(true);
  });
});

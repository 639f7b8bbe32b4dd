/**
 * The words of an inbox search (`q`): runs of letters and digits in any script, never query syntax of FTS5
 * or tsquery, at most eight, duplicates dropped; and the cursor of ranked results.
 */
import { describe, expect, it } from 'vitest';
import { decodeSearchCursor, encodeSearchCursor, fts5Prefix, MAX_SEARCH_WORDS, searchWords, tsqueryPrefix } from '../../../server/src/store/search-query.js';

describe('searchWords', () => {
  it('cuts at everything that is not a letter, a digit or a combining mark', () => {
    expect(searchWords('printer  offline')).toEqual(['printer', 'offline']);
    expect(searchWords('alice@example.com')).toEqual(['alice', 'example', 'com']);
    expect(searchWords('self-service, INV-42; 12.5%')).toEqual(['self', 'service', 'INV', '42', '12', '5']);
    expect(searchWords('don’t «Ça» va—bien')).toEqual(['don', 't', 'Ça', 'va', 'bien']);
    expect(searchWords('مرحبا بالعالم ١٢٣')).toEqual(['مرحبا', 'بالعالم', '١٢٣']);
    expect(searchWords('नमस्ते')).toEqual(['नमस्ते']);
    expect(searchWords('a_b')).toEqual(['a', 'b']);
  });

  it('finds no word in punctuation and operators, and reads operator words as words', () => {
    for (const q of ['"', '*', '-', ':', '&', '!', '(', ')', '""*', '-:*&!|()<->^~', '   ', '']) expect(searchWords(q)).toEqual([]);
    expect(searchWords('"printer" OR NEAR(a b) -x')).toEqual(['printer', 'OR', 'NEAR', 'a', 'b', 'x']);
    expect(searchWords('title:y a&b !c d:*')).toEqual(['title', 'y', 'a', 'b', 'c', 'd']);
  });

  it('keeps the first of words equal but for case, and at most eight words', () => {
    expect(searchWords('Refund refund REFUND invoice')).toEqual(['Refund', 'invoice']);
    expect(searchWords('one two three four five six seven eight nine ten')).toEqual(['one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight']);
    expect(MAX_SEARCH_WORDS).toBe(8);
  });

  it('composes a decomposed accent (NFC), as stored text usually is', () => {
    expect(searchWords('cafe\u0301')).toEqual(['café']);
  });
});

describe('the prefix queries of a word', () => {
  it('quote it, so that no word is ever syntax', () => {
    expect(fts5Prefix('NEAR')).toBe('"NEAR"*');
    expect(fts5Prefix('a"b')).toBe('"a""b"*');
    expect(tsqueryPrefix('or')).toBe("'or':*");
    expect(tsqueryPrefix("a'b")).toBe("'a''b':*");
  });
});

describe('the search cursor', () => {
  it('is the offset of the next page, and nothing else decodes', () => {
    expect(encodeSearchCursor(30)).toBe('s1.30');
    expect(decodeSearchCursor('s1.30')).toBe(30);
    for (const raw of ['', 's1.', 's1.0', 's1.-1', 's1.030', 's1.1e3', 's2.30', '30', '1700000000000.cnv_a', 's1.12345678']) expect(decodeSearchCursor(raw)).toBeUndefined();
  });
});

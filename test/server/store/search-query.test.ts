/**
 * The terms of an inbox search (`q`): what was typed between spaces, as its runs of letters and digits in any
 * script, never query syntax of FTS5 or tsquery, at most eight, duplicates dropped; their phrase queries; and
 * the cursor of ranked results.
 */
import { describe, expect, it } from 'vitest';
import { decodeSearchCursor, encodeSearchCursor, fts5Phrase, MAX_SEARCH_WORDS, MESSAGE_SEARCH_CONVERSATION, MESSAGE_SEARCH_ROWID, searchTerms, tsqueryPhrase } from '../../../server/src/store/search-query.js';

describe('searchTerms', () => {
  it('reads each run between spaces as the words in it, cut at all that is not a letter, a digit or a combining mark', () => {
    expect(searchTerms('printer  offline')).toEqual([['printer'], ['offline']]);
    expect(searchTerms('alice@example.com')).toEqual([['alice', 'example', 'com']]);
    expect(searchTerms('self-service, INV-42; 12.5%')).toEqual([['self', 'service'], ['INV', '42'], ['12', '5']]);
    expect(searchTerms('don’t «Ça» va—bien')).toEqual([['don', 't'], ['Ça'], ['va', 'bien']]);
    expect(searchTerms('مرحبا بالعالم ١٢٣')).toEqual([['مرحبا'], ['بالعالم'], ['١٢٣']]);
    expect(searchTerms('नमस्ते')).toEqual([['नमस्ते']]);
    expect(searchTerms('a_b\tc\u00a0d')).toEqual([['a', 'b'], ['c'], ['d']]);
  });

  it('finds no term in punctuation and operators, and reads operator words as words', () => {
    for (const q of ['"', '*', '-', ':', '&', '!', '(', ')', '""*', '-:*&!|()<->^~', '   ', '']) expect(searchTerms(q)).toEqual([]);
    expect(searchTerms('"printer" OR NEAR(a b) -x')).toEqual([['printer'], ['OR'], ['NEAR', 'a'], ['b'], ['x']]);
    expect(searchTerms('title:y a&b !c d:*')).toEqual([['title', 'y'], ['a', 'b'], ['c'], ['d']]);
  });

  it('keeps the first of terms equal but for case, at most eight terms and eight words in each', () => {
    expect(searchTerms('Refund refund REFUND invoice INV-1 inv-1')).toEqual([['Refund'], ['invoice'], ['INV', '1']]);
    expect(searchTerms('one two three four five six seven eight nine ten')).toEqual([['one'], ['two'], ['three'], ['four'], ['five'], ['six'], ['seven'], ['eight']]);
    expect(searchTerms('a-b-c-d-e-f-g-h-i-j')).toEqual([['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h']]);
    expect(MAX_SEARCH_WORDS).toBe(8);
  });

  it('composes a decomposed accent (NFC), as stored text usually is', () => {
    expect(searchTerms('cafe\u0301')).toEqual([['café']]);
  });
});

describe('the phrase queries of a term', () => {
  it('quote every word, so that no word is ever syntax, and read the last as a prefix', () => {
    expect(fts5Phrase(['NEAR'])).toBe('"NEAR"*');
    expect(fts5Phrase(['a"b'])).toBe('"a""b"*');
    expect(fts5Phrase(['INV', '48213'])).toBe('"INV 48213"*');
    expect(tsqueryPhrase(['or'])).toBe("'or':*");
    expect(tsqueryPhrase(["a'b"])).toBe("'a''b':*");
    expect(tsqueryPhrase(['INV', '48213'])).toBe("'INV' <-> '48213':*");
  });
});

describe('the key of a message in SQLite’s search index', () => {
  it('holds its conversation in the high bits and its seq in the low ones', () => {
    expect(MESSAGE_SEARCH_ROWID('c.rowid', 'm.seq')).toBe('((c.rowid << 32) + m.seq)');
    expect(MESSAGE_SEARCH_CONVERSATION('rowid')).toBe('(rowid >> 32)');
  });
});

describe('the search cursor', () => {
  it('is the offset of the next page, and nothing else decodes', () => {
    expect(encodeSearchCursor(30)).toBe('s1.30');
    expect(decodeSearchCursor('s1.30')).toBe(30);
    for (const raw of ['', 's1.', 's1.0', 's1.-1', 's1.030', 's1.1e3', 's2.30', '30', '1700000000000.cnv_a', 's1.12345678']) expect(decodeSearchCursor(raw)).toBeUndefined();
  });
});

/**
 * The conversation title rules of shared/src/fields.ts: `titleFromMessage` (the title a first message gives)
 * and `parseTitle` (a title a person gives), both counting characters as code points.
 */
import { describe, expect, it } from 'vitest';
import { parseTitle, titleFromMessage } from '#shared/fields.js';

describe('titleFromMessage', () => {
  it('is the first non-blank line, trimmed', () => {
    expect(titleFromMessage('Hello')).toBe('Hello');
    expect(titleFromMessage('  Printer jammed  \nsince this morning')).toBe('Printer jammed');
    expect(titleFromMessage('\n \t\r\n  second line wins\nthird')).toBe('second line wins');
    expect(titleFromMessage('one\r\ntwo')).toBe('one');
    expect(titleFromMessage('one\rtwo')).toBe('one');
    expect(titleFromMessage('**bold** and `code`')).toBe('**bold** and `code`');
  });

  it('keeps up to 80 characters; a longer line is cut to 79 and "…"', () => {
    expect(titleFromMessage('x'.repeat(80))).toBe('x'.repeat(80));
    expect(titleFromMessage('x'.repeat(81))).toBe(`${'x'.repeat(79)}…`);
    expect(titleFromMessage(`${'x'.repeat(200)}\nshort`)).toBe(`${'x'.repeat(79)}…`);
    // Trimmed before it is measured.
    expect(titleFromMessage(`   ${'x'.repeat(80)}   `)).toBe('x'.repeat(80));
  });

  it('counts an emoji as one character and never cuts one in half', () => {
    expect(titleFromMessage('😀'.repeat(80))).toBe('😀'.repeat(80));
    expect(titleFromMessage('😀'.repeat(81))).toBe(`${'😀'.repeat(79)}…`);
    const cut = titleFromMessage(`a${'😀'.repeat(100)}`)!;
    expect(cut).toBe(`a${'😀'.repeat(78)}…`);
    expect(cut.isWellFormed()).toBe(true);
  });

  it('is null for text without a non-blank line', () => {
    expect(titleFromMessage('')).toBeNull();
    expect(titleFromMessage(' \n\t\r\n ')).toBeNull();
  });
});

describe('parseTitle', () => {
  const rule = 'must be a string of 1 to 200 characters (surrounding spaces do not count)';

  it('answers the trimmed title of 1 to 200 characters', () => {
    expect(parseTitle('  Billing  ')).toEqual({ ok: true, value: 'Billing' });
    expect(parseTitle('x'.repeat(200))).toEqual({ ok: true, value: 'x'.repeat(200) });
    expect(parseTitle(` ${'x'.repeat(200)} `)).toEqual({ ok: true, value: 'x'.repeat(200) });
    expect(parseTitle('😀'.repeat(200))).toEqual({ ok: true, value: '😀'.repeat(200) });
  });

  it('refuses blanks, longer titles, other types, control characters and lone surrogates', () => {
    for (const value of ['', '   ', 'x'.repeat(201), '😀'.repeat(201), 7, null, undefined, ['x']]) expect(parseTitle(value)).toEqual({ ok: false, reason: rule });
    expect(parseTitle('two\nlines')).toEqual({ ok: false, reason: 'must not contain control characters (U+0000 to U+001F, U+007F)' });
    expect(parseTitle('tab\there')).toEqual({ ok: false, reason: 'must not contain control characters (U+0000 to U+001F, U+007F)' });
    expect(parseTitle('half \uD83D surrogate')).toEqual({ ok: false, reason: 'must not contain lone surrogates' });
  });
});

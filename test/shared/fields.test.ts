import { describe, expect, it } from 'vitest';
import {
  parseAvatarUrl,
  parseDuration,
  parseEmail,
  parseFlag,
  parseId,
  parseName,
  parseOrigin,
  parseOriginList,
  parseSeatCount,
  parseSeatCountText,
} from '#shared/fields.js';

const accepts = <T>(parse: (v: unknown) => { ok: boolean; value?: T }, value: unknown, expected?: T) => {
  const result = parse(value);
  expect(result, JSON.stringify(value)).toEqual({ ok: true, value: expected === undefined ? value : expected });
};
const refuses = (parse: (v: unknown) => { ok: boolean; reason?: string }, value: unknown, reason: string | RegExp) => {
  const result = parse(value);
  expect(result.ok, JSON.stringify(value)).toBe(false);
  expect(result.reason).toMatch(reason);
};

describe('parseId', () => {
  it('accepts 1 to 256 characters of NFC text, any script, case kept', () => {
    for (const id of ['a', 'x'.repeat(256), 'Jos\u00e9-K\u00f6nig', 'CASE', 'user@example.com', '😀', 'a b', '\u00a0', '\u0085']) accepts(parseId, id);
  });
  it.each([
    ['a number', 42, /string of 1 to 256/],
    ['empty', '', /string of 1 to 256/],
    ['257 characters', 'x'.repeat(257), /string of 1 to 256/],
    ['a newline', 'a\nb', /control characters/],
    ['NUL', 'a\u0000', /control characters/],
    ['DEL', 'victim\u007f', /control characters/],
    ['a lone surrogate', 'a\ud800', /lone surrogates/],
    ['NFD', 'Jos\u00e9'.normalize('NFD'), /NFC/],
  ])('refuses %s', (_name, value, reason) => refuses(parseId, value, reason));
});

describe('parseEmail', () => {
  it('accepts local@domain in any script that normalisation leaves alone', () => {
    for (const email of ['ada@example.com', 'ADA@Example.COM', 'jos\u00e9@exemple.fr', '用户@例子.中国', 'a@b']) accepts(parseEmail, email);
  });
  it.each([
    ['the Kelvin sign (NFC turns it into K)', '\u212Aevin@x', /NFC or NFKC/],
    ['fullwidth letters (NFKC)', '\uff41@x', /NFC or NFKC/],
    ['a ligature (NFKC)', '\ufb01@x', /NFC or NFKC/],
    ['NFD', 'jos\u00e9@x'.normalize('NFD'), /NFC or NFKC/],
    ['a newline', 'a@b.c\nBcc: x@y.z', /control characters/],
    ['DEL', 'a\u007f@b', /control characters/],
    ['no @', 'nope', /email address/],
    ['two @', 'a@b@c', /email address/],
    ['a space', 'a b@c', /email address/],
    ['a no-break space', 'a\u00a0b@c', /email address/],
    ['321 characters', `${'a'.repeat(317)}@b.c`, /at most 320/],
    ['a number', 5, /email address/],
  ])('refuses %s', (_name, value, reason) => refuses(parseEmail, value, reason));
});

describe('parseName', () => {
  it('accepts up to 200 characters, empty included, not normalised', () => {
    for (const name of ['', 'Ada Lovelace', 'x'.repeat(200), 'e\u0301', '\u212A']) accepts(parseName, name);
  });
  it.each([
    ['a newline', 'Ada\nAdmin', /control characters/],
    ['a tab', 'a\tb', /control characters/],
    ['DEL', 'a\u007f', /control characters/],
    ['a lone surrogate', '\udc00', /lone surrogates/],
    ['201 characters', 'x'.repeat(201), /at most 200/],
    ['null', null, /at most 200/],
  ])('refuses %s', (_name, value, reason) => refuses(parseName, value, reason));
});

describe('parseAvatarUrl', () => {
  it('accepts http and https URLs, kept as given', () => {
    for (const url of ['https://cdn.example.com/a.png', 'http://127.0.0.1:8080/x?y=1#z']) accepts(parseAvatarUrl, url);
  });
  it.each([
    ['javascript:', 'javascript:alert(1)'],
    ['data:', 'data:image/png;base64,AAAA'],
    ['file:', 'file:///etc/passwd'],
    ['relative', '/a.png'],
    ['a newline inside', 'https://a.example/\nx'],
    ['2049 characters', `https://a.example/${'x'.repeat(2031)}`],
  ])('refuses %s', (_name, value) => refuses(parseAvatarUrl, value, /http\(s\) URL|control/));
});

describe('parseOrigin and parseOriginList', () => {
  it('accepts serialised origins, one trailing slash dropped', () => {
    accepts(parseOrigin, 'https://app.example.com');
    accepts(parseOrigin, 'http://localhost:8080/', 'http://localhost:8080');
  });
  it.each(['nope', 'https://App.example.com', 'https://app.example.com:443', 'https://app.example.com/path', 'ftp://x.example', 'https://a.example?x', 'https://a.exa\nmple', 42])(
    'refuses %j',
    (value) => refuses(parseOrigin, value, /origin like https:\/\/app.example.com/),
  );
  it('lists: null or [] is Parley only, ["*"] any, origins deduplicated; * alone only', () => {
    expect(parseOriginList(null)).toEqual({ ok: true, value: null });
    expect(parseOriginList([])).toEqual({ ok: true, value: null });
    expect(parseOriginList(['*'])).toEqual({ ok: true, value: ['*'] });
    expect(parseOriginList(['https://a.example', 'https://a.example/'])).toEqual({ ok: true, value: ['https://a.example'] });
    refuses(parseOriginList, ['*', 'https://a.example'], /may not combine \*/);
    refuses(parseOriginList, ['https://a.example', 'nope'], /"nope" is not one/);
    refuses(parseOriginList, 'https://a.example', /list/);
    refuses(parseOriginList, Array(101).fill('https://a.example'), /at most 100/);
  });
});

describe('parseDuration, parseSeatCount, parseFlag', () => {
  it('durations in seconds from 3600, 90s, 30m, 12h, 7d, 1w', () => {
    expect(['3600', '90s', '30m', ' 12h ', '7d', '1w'].map((v) => parseDuration(v))).toEqual([3600, 90, 1800, 43_200, 604_800, 604_800].map((value) => ({ ok: true, value })));
    for (const bad of ['0', '0m', '', '1y', '-1', '1.5h', '1234567890', 3600, null]) expect(parseDuration(bad).ok, String(bad)).toBe(false);
    refuses(parseDuration, '0s', /at least one second/);
  });
  it('seat counts: whole numbers from 0 to 999,999,999; as text, digits only', () => {
    for (const n of [0, 1, 999_999_999]) accepts(parseSeatCount, n);
    for (const bad of [-1, 1.5, 1e9, Number.NaN, '5', null]) refuses(parseSeatCount, bad, /whole number from 0/);
    accepts(parseSeatCountText, '42', 42);
    for (const bad of ['', '-1', '1e3', ' 5', '1234567890', 5]) refuses(parseSeatCountText, bad, /whole number from 0/);
  });
  it('flags are JSON booleans only', () => {
    accepts(parseFlag, true);
    accepts(parseFlag, false);
    for (const bad of ['true', 1, null, 0]) refuses(parseFlag, bad, /true or false/);
  });
});

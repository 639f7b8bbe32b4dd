/**
 * The rules of email sign-in's inputs (shared/src/sign-in-fields.ts): the methods setting, the domains
 * setting and the typed code.
 */
import { describe, expect, it } from 'vitest';
import { emailDomainOf, parseEmailCode, parseEmailSignInDomains, parseSignInMethods } from '#shared/sign-in-fields.js';

describe('sign-in fields', () => {
  it('signInMethods: a non-empty list of external and email, answered in a fixed order', () => {
    expect(parseSignInMethods(['email', 'external'])).toEqual({ ok: true, value: ['external', 'email'] });
    expect(parseSignInMethods(['email'])).toEqual({ ok: true, value: ['email'] });
    for (const bad of [[], 'email', null, ['Email'], ['external', 'sso'], [1], ['email', 'external', 'email']]) expect(parseSignInMethods(bad).ok, JSON.stringify(bad)).toBe(false);
    expect(parseSignInMethods(['email', 'email'])).toEqual({ ok: false, reason: 'must not name a method twice' });
  });

  it('emailSignInDomains: lower-case domains without duplicates; null is any', () => {
    expect(parseEmailSignInDomains(['Example.COM', ' example.com ', 'xn--bcher-kva.ch', 'a-b.co.uk'])).toEqual({ ok: true, value: ['example.com', 'xn--bcher-kva.ch', 'a-b.co.uk'] });
    expect(parseEmailSignInDomains(null)).toEqual({ ok: true, value: [] });
    expect(parseEmailSignInDomains([])).toEqual({ ok: true, value: [] });
    for (const bad of [['localhost'], ['@example.com'], ['*.example.com'], ['exa mple.com'], ['bücher.ch'], ['-a.com'], ['a.com.'], [`${'a'.repeat(64)}.com`], [1], 'example.com']) {
      expect(parseEmailSignInDomains(bad).ok, JSON.stringify(bad)).toBe(false);
    }
    expect(parseEmailSignInDomains(Array.from({ length: 101 }, (_, i) => `d${i}.com`)).ok).toBe(false);
    expect(parseEmailSignInDomains(Array.from({ length: 100 }, (_, i) => `d${i}.com`)).ok).toBe(true);
  });

  it('the code: six ASCII digits, spaces around dropped', () => {
    expect(parseEmailCode(' 012345 ')).toEqual({ ok: true, value: '012345' });
    for (const bad of ['12345', '1234567', '12 345', '１２３４５６', '٠١٢٣٤٥', 123456, null, `${' '.repeat(30)}123456`]) expect(parseEmailCode(bad), JSON.stringify(bad)).toEqual({ ok: false, reason: 'must be 6 digits' });
  });

  it('the domain of an address is the part after its @, lower-case', () => {
    expect(emailDomainOf('Ada@Mail.Example.com')).toBe('mail.example.com');
  });
});

/**
 * The field rules of the widget's settings (shared/src/fields.ts): labels, https image URLs, the accent
 * colour, the position and texts by locale; and the locales they take are the ones the widget speaks.
 */
import { describe, expect, it } from 'vitest';
import {
  parseAccentColor,
  parseHttpsUrl,
  parseWidgetAwayText,
  parseWidgetGreeting,
  parseWidgetLabel,
  parseWidgetPosition,
  parseWidgetReplyTime,
  WIDGET_LOCALES,
} from '#shared/fields.js';
import { pickLocale } from '../../widget/src/i18n/locales.js';

describe('widget field rules', () => {
  it('the widget speaks every locale texts may be set in', () => {
    for (const locale of WIDGET_LOCALES) expect(pickLocale(locale, []).code).toBe(locale);
  });

  it('a label: trimmed, at most 60 characters, blank is none', () => {
    expect(parseWidgetLabel('  Acme  ')).toEqual({ ok: true, value: 'Acme' });
    expect(parseWidgetLabel('x'.repeat(60))).toEqual({ ok: true, value: 'x'.repeat(60) });
    expect(parseWidgetLabel(` ${'x'.repeat(60)} `)).toEqual({ ok: true, value: 'x'.repeat(60) });
    for (const none of [null, '', '   ']) expect(parseWidgetLabel(none)).toEqual({ ok: true, value: null });
    for (const bad of ['x'.repeat(61), 3, undefined, {}, 'a\u0000', 'a\u007f', 'a\ud800']) expect(parseWidgetLabel(bad).ok, JSON.stringify(bad)).toBe(false);
  });

  it('an image URL: https only, kept as given, no credentials', () => {
    expect(parseHttpsUrl('https://cdn.example.com/a.png?v=2')).toEqual({ ok: true, value: 'https://cdn.example.com/a.png?v=2' });
    expect(parseHttpsUrl('')).toEqual({ ok: true, value: null });
    expect(parseHttpsUrl(null)).toEqual({ ok: true, value: null });
    for (const bad of ['http://cdn.example.com/a.png', 'data:image/png;base64,AAAA', 'javascript:alert(1)', '//cdn.example.com/a.png', '/a.png', 'https://u:p@x.example/a.png', 'https://x.example/\n', 42]) {
      expect(parseHttpsUrl(bad).ok, String(bad)).toBe(false);
    }
  });

  it('an accent colour: #rrggbb in lower case', () => {
    expect(parseAccentColor('#3056D3')).toEqual({ ok: true, value: '#3056d3' });
    expect(parseAccentColor(null)).toEqual({ ok: true, value: null });
    for (const bad of ['#fff', '3056d3', '#3056d3ff', 'rgb(0,0,0)', '', ' #3056d3', 0x3056d3]) expect(parseAccentColor(bad).ok, String(bad)).toBe(false);
  });

  it('a position: right or left', () => {
    expect(parseWidgetPosition('left')).toEqual({ ok: true, value: 'left' });
    for (const bad of ['Left', 'center', null, '']) expect(parseWidgetPosition(bad).ok, String(bad)).toBe(false);
  });

  it('texts by locale: known locales only, empty ones dropped, each within its limit, in the locales’ order', () => {
    expect(parseWidgetGreeting({ ar: 'مرحبا {name}', en: ' Hi {name} ', fr: '' })).toEqual({ ok: true, value: { en: 'Hi {name}', ar: 'مرحبا {name}' } });
    expect(Object.keys((parseWidgetGreeting({ ar: 'a', en: 'b' }) as { value: object }).value)).toEqual(['en', 'ar']);
    expect(parseWidgetGreeting(null)).toEqual({ ok: true, value: {} });
    expect(parseWidgetGreeting({ en: null })).toEqual({ ok: true, value: {} });
    expect(parseWidgetGreeting({ en: 'g'.repeat(200) }).ok).toBe(true);
    expect(parseWidgetGreeting({ en: 'g'.repeat(201) })).toEqual({ ok: false, reason: 'in en must be a string of at most 200 characters, or null' });
    expect(parseWidgetReplyTime({ fr: 'r'.repeat(80) }).ok).toBe(true);
    expect(parseWidgetReplyTime({ fr: 'r'.repeat(81) })).toEqual({ ok: false, reason: 'in fr must be a string of at most 80 characters, or null' });
    expect(parseWidgetAwayText({ ar: 'a'.repeat(200) }).ok).toBe(true);
    expect(parseWidgetAwayText({ ar: 'a'.repeat(201) })).toEqual({ ok: false, reason: 'in ar must be a string of at most 200 characters, or null' });
    expect(parseWidgetAwayText({ de: 'Bald' })).toEqual({ ok: false, reason: 'has no locale "de" (the locales are en, fr, ar)' });
    expect(parseWidgetGreeting({ 'en-US': 'Hi' })).toEqual({ ok: false, reason: 'has no locale "en-US" (the locales are en, fr, ar)' });
    expect(parseWidgetGreeting(JSON.parse('{"constructor":"x"}')).ok).toBe(false);
    for (const bad of ['Hi', ['Hi'], 3, undefined]) expect(parseWidgetGreeting(bad).ok, String(bad)).toBe(false);
  });
});

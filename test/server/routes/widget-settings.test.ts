/**
 * The widget's look and words (docs/admin-api.md, Widget): set through `PATCH /api/v1/admin/settings` by the
 * field rules (each refusal a 400 naming the setting), listed by GET, audited by name and never by value,
 * and read without a session at `GET /api/v1/widget/settings?locale=…` with the texts of that locale (else
 * English, else null), the text colour on the accent, a one-minute public cache and the API's CORS policy.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestApp, PUBLIC_URL, type TestApp } from '../../helpers/app.js';
import { DIALECTS } from '../../helpers/databases.js';

type Headers = Record<string, string>;

const DEFAULTS = [
  { name: 'widgetTeamName', variable: null, value: null, locked: false },
  { name: 'widgetAvatarUrl', variable: null, value: null, locked: false },
  { name: 'widgetTitle', variable: null, value: null, locked: false },
  { name: 'widgetAccentColor', variable: null, value: null, locked: false },
  { name: 'widgetLauncherIconUrl', variable: null, value: null, locked: false },
  { name: 'widgetPosition', variable: null, value: 'right', locked: false },
  { name: 'widgetGreeting', variable: null, value: {}, locked: false },
  { name: 'widgetReplyTime', variable: null, value: {}, locked: false },
  { name: 'widgetAwayText', variable: null, value: {}, locked: false },
];

const NO_WIDGET = { teamName: null, avatarUrl: null, title: null, accentColor: null, onAccentColor: null, launcherIconUrl: null, position: 'right', greeting: null, replyTime: null, awayText: null };

describe.each(DIALECTS)('widget settings on %s', (dialect) => {
  let t: TestApp;
  let owner: Headers;

  beforeEach(async () => {
    t = await createTestApp({ dialect, env: { PARLEY_ALLOWED_ORIGINS: 'https://app.example.com' } });
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/auth/exchange', payload: { externalAuthCode: await t.sign({ user: { id: 'the-owner', email: 'owner@example.com' } }) } });
    await t.app.services.users.setRole(res.json().user.id, 'owner');
    owner = { authorization: `Bearer ${res.json().session.token}` };
  });
  afterEach(async () => {
    await t.close();
  });

  const patch = (payload: object) => t.app.inject({ method: 'PATCH', url: '/api/v1/admin/settings', headers: owner, payload });
  const widgetSettings = async () => ((await t.app.inject({ method: 'GET', url: '/api/v1/admin/settings', headers: owner })).json().settings as { name: string }[]).filter((s) => s.name.startsWith('widget'));
  const publicView = (query = '', headers: Headers = {}) => t.app.inject({ method: 'GET', url: `/api/v1/widget/settings${query}`, headers });
  const refused = async (payload: object, message: string) => {
    const res = await patch(payload);
    expect([res.statusCode, res.json()], JSON.stringify(payload)).toEqual([400, { error: { code: 'bad_request', message } }]);
  };

  it('lists every widget setting after the instance ones, unset at first, and the public view says so', async () => {
    const all = (await t.app.inject({ method: 'GET', url: '/api/v1/admin/settings', headers: owner })).json().settings as { name: string }[];
    expect(all.map((s) => s.name).slice(0, 4)).toEqual(['seatLimit', 'allowedOrigins', 'tokenMaxLifetime', 'externalAuthEnabled']);
    expect(await widgetSettings()).toEqual(DEFAULTS);
    const res = await publicView();
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ widget: NO_WIDGET, signInMethods: ['external'] });
  });

  it('accepts good values of every field, normalised as the rules say, and answers the list', async () => {
    const res = await patch({
      widgetTeamName: '  Acme support  ',
      widgetAvatarUrl: 'https://cdn.example.com/team.png',
      widgetTitle: 'Help',
      widgetAccentColor: '#3056D3',
      widgetLauncherIconUrl: 'https://cdn.example.com/launcher.svg',
      widgetPosition: 'left',
      widgetGreeting: { en: 'Hi {name} 👋 — ask us anything', fr: 'Bonjour {name} 👋', ar: '' },
      widgetReplyTime: { en: 'We usually answer within a day', ar: 'نرد عادة خلال يوم' },
      widgetAwayText: { en: ' We usually answer within a few hours ', fr: 'Nous répondons en général en quelques heures', ar: '' },
    });
    expect(res.statusCode).toBe(200);
    expect((res.json().settings as { name: string }[]).filter((s) => s.name.startsWith('widget'))).toEqual([
      { name: 'widgetTeamName', variable: null, value: 'Acme support', locked: false },
      { name: 'widgetAvatarUrl', variable: null, value: 'https://cdn.example.com/team.png', locked: false },
      { name: 'widgetTitle', variable: null, value: 'Help', locked: false },
      { name: 'widgetAccentColor', variable: null, value: '#3056d3', locked: false },
      { name: 'widgetLauncherIconUrl', variable: null, value: 'https://cdn.example.com/launcher.svg', locked: false },
      { name: 'widgetPosition', variable: null, value: 'left', locked: false },
      { name: 'widgetGreeting', variable: null, value: { en: 'Hi {name} 👋 — ask us anything', fr: 'Bonjour {name} 👋' }, locked: false },
      { name: 'widgetReplyTime', variable: null, value: { en: 'We usually answer within a day', ar: 'نرد عادة خلال يوم' }, locked: false },
      { name: 'widgetAwayText', variable: null, value: { en: 'We usually answer within a few hours', fr: 'Nous répondons en général en quelques heures' }, locked: false },
    ]);
    // The limits themselves are accepted; null, "" and blanks clear.
    expect((await patch({ widgetTeamName: 'x'.repeat(60), widgetTitle: 'y'.repeat(60), widgetGreeting: { fr: 'g'.repeat(200) }, widgetReplyTime: { en: 'r'.repeat(80) }, widgetAwayText: { ar: 'a'.repeat(200) } })).statusCode).toBe(200);
    expect((await patch({ widgetAvatarUrl: `https://a.example/${'p'.repeat(2048 - 'https://a.example/'.length)}` })).statusCode).toBe(200);
    const cleared = await patch({ widgetTeamName: null, widgetAvatarUrl: '', widgetTitle: '   ', widgetAccentColor: null, widgetLauncherIconUrl: null, widgetPosition: 'right', widgetGreeting: null, widgetReplyTime: {}, widgetAwayText: null });
    expect(cleared.statusCode).toBe(200);
    expect(await widgetSettings()).toEqual(DEFAULTS);
  });

  it('refuses a bad value of each field with 400 bad_request naming it, and changes nothing', async () => {
    const control = 'must not contain control characters (U+0000 to U+001F, U+007F)';
    await refused({ widgetTeamName: 'x'.repeat(61) }, 'widgetTeamName must be a string of at most 60 characters, or null');
    await refused({ widgetTeamName: 42 }, 'widgetTeamName must be a string of at most 60 characters, or null');
    await refused({ widgetTeamName: 'Acme\nsupport' }, `widgetTeamName ${control}`);
    await refused({ widgetTitle: 'y'.repeat(61) }, 'widgetTitle must be a string of at most 60 characters, or null');
    await refused({ widgetTitle: 'a\ud800' }, 'widgetTitle must not contain lone surrogates');
    await refused({ widgetAvatarUrl: 'http://cdn.example.com/team.png' }, 'widgetAvatarUrl must be an https URL of at most 2048 characters, or null');
    await refused({ widgetAvatarUrl: 'javascript:alert(1)' }, 'widgetAvatarUrl must be an https URL of at most 2048 characters, or null');
    await refused({ widgetAvatarUrl: `https://a.example/${'p'.repeat(2048)}` }, 'widgetAvatarUrl must be an https URL of at most 2048 characters, or null');
    await refused({ widgetAvatarUrl: 'https://user:secret@cdn.example.com/a.png' }, 'widgetAvatarUrl must not carry a user name or password');
    await refused({ widgetAccentColor: '#3056d' }, 'widgetAccentColor must be a colour written #rrggbb, or null');
    await refused({ widgetAccentColor: 'red' }, 'widgetAccentColor must be a colour written #rrggbb, or null');
    await refused({ widgetAccentColor: '#abc' }, 'widgetAccentColor must be a colour written #rrggbb, or null');
    await refused({ widgetLauncherIconUrl: 'http://cdn.example.com/i.png' }, 'widgetLauncherIconUrl must be an https URL of at most 2048 characters, or null');
    await refused({ widgetLauncherIconUrl: `${PUBLIC_URL}/widget/launcher-icon/${'0'.repeat(32)}.png` }, 'widgetLauncherIconUrl must be an https URL of at most 2048 characters, or null');
    await refused({ widgetPosition: 'center' }, 'widgetPosition must be "right" or "left"');
    await refused({ widgetPosition: null }, 'widgetPosition must be "right" or "left"');
    await refused({ widgetGreeting: 'Hi' }, 'widgetGreeting must be an object of texts by locale (en, fr, ar), or null');
    await refused({ widgetGreeting: ['Hi'] }, 'widgetGreeting must be an object of texts by locale (en, fr, ar), or null');
    await refused({ widgetGreeting: { de: 'Hallo' } }, 'widgetGreeting has no locale "de" (the locales are en, fr, ar)');
    await refused({ widgetGreeting: JSON.parse('{"__proto__":"x"}') }, 'widgetGreeting has no locale "__proto__" (the locales are en, fr, ar)');
    await refused({ widgetGreeting: { en: 'g'.repeat(201) } }, 'widgetGreeting in en must be a string of at most 200 characters, or null');
    await refused({ widgetGreeting: { fr: 7 } }, 'widgetGreeting in fr must be a string of at most 200 characters, or null');
    await refused({ widgetReplyTime: { ar: 'r'.repeat(81) } }, 'widgetReplyTime in ar must be a string of at most 80 characters, or null');
    await refused({ widgetReplyTime: { en: 'a\tday' } }, `widgetReplyTime in en ${control}`);
    await refused({ widgetAwayText: { fr: 'a'.repeat(201) } }, 'widgetAwayText in fr must be a string of at most 200 characters, or null');
    await refused({ widgetAwayText: { es: 'Respondemos pronto' } }, 'widgetAwayText has no locale "es" (the locales are en, fr, ar)');
    await refused({ widgetAwayText: 'Away' }, 'widgetAwayText must be an object of texts by locale (en, fr, ar), or null');
    await refused({ widgetAwayText: { en: 'Back\nsoon' } }, `widgetAwayText in en ${control}`);
    // One bad field refuses the whole change.
    await refused({ widgetTeamName: 'Acme', widgetAccentColor: 'blue' }, 'widgetAccentColor must be a colour written #rrggbb, or null');
    expect(await widgetSettings()).toEqual(DEFAULTS);
  });

  it('audits each change naming the settings it changed, never their values; a refusal with its code', async () => {
    await patch({ widgetTeamName: 'Secret Team', widgetGreeting: { en: 'Hello there' } });
    await patch({ widgetAccentColor: 'nope' });
    const entries = (await t.app.inject({ method: 'GET', url: '/api/v1/admin/audit?kind=admin', headers: owner })).json().entries as { action: string; target: string; outcome: string }[];
    expect(entries.map(({ action, target, outcome }) => ({ action, target, outcome }))).toEqual([
      { action: 'settings.update', target: 'widgetAccentColor', outcome: 'bad_request' },
      { action: 'settings.update', target: 'widgetTeamName,widgetGreeting', outcome: 'ok' },
    ]);
    const rows = JSON.stringify(await t.db.store.db.selectFrom('audit_log').selectAll().execute());
    expect(rows).not.toContain('Secret Team');
    expect(rows).not.toContain('Hello there');
  });

  it('a member may not change them (403 admin_required)', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/auth/exchange', payload: { externalAuthCode: await t.sign({ user: { id: 'a-member' } }) } });
    const member = { authorization: `Bearer ${res.json().session.token}` };
    const refusedMember = await t.app.inject({ method: 'PATCH', url: '/api/v1/admin/settings', headers: member, payload: { widgetTeamName: 'Mine' } });
    expect([refusedMember.statusCode, refusedMember.json().error.code]).toEqual([403, 'admin_required']);
  });

  it('the public view: the texts of the locale asked for, else English, else null; the colour that reads on the accent', async () => {
    await patch({
      widgetTeamName: 'Acme',
      widgetAvatarUrl: 'https://cdn.example.com/team.png',
      widgetTitle: 'Help',
      widgetAccentColor: '#FFD400',
      widgetPosition: 'left',
      widgetGreeting: { en: 'Hi {name} 👋 — ask us anything', fr: 'Bonjour {name} 👋 — posez vos questions' },
      widgetReplyTime: { fr: 'Réponse en un jour' },
      widgetAwayText: { en: 'Back within a few hours', ar: 'نعود خلال ساعات' },
    });
    const common = { teamName: 'Acme', avatarUrl: 'https://cdn.example.com/team.png', title: 'Help', accentColor: '#ffd400', onAccentColor: '#000000', launcherIconUrl: null, position: 'left' };
    const fr = await publicView('?locale=fr');
    expect(fr.statusCode).toBe(200);
    expect(fr.json()).toEqual({ widget: { ...common, greeting: 'Bonjour {name} 👋 — posez vos questions', replyTime: 'Réponse en un jour', awayText: 'Back within a few hours' }, signInMethods: ['external'] });
    expect(fr.headers['cache-control']).toBe('public, max-age=60');
    expect(fr.headers['content-type']).toBe('application/json; charset=utf-8');
    // Arabic has no greeting: the English one; no reply time at all (the widget says its own); its own away text.
    expect((await publicView('?locale=ar')).json()).toEqual({ widget: { ...common, greeting: 'Hi {name} 👋 — ask us anything', replyTime: null, awayText: 'نعود خلال ساعات' }, signInMethods: ['external'] });
    // A region counts as its language; no locale, or one the widget does not speak, is English.
    expect((await publicView('?locale=fr-CA')).json().widget.greeting).toBe('Bonjour {name} 👋 — posez vos questions');
    expect((await publicView('?locale=de')).json().widget).toEqual({ ...common, greeting: 'Hi {name} 👋 — ask us anything', replyTime: null, awayText: 'Back within a few hours' });
    expect((await publicView()).json().widget.greeting).toBe('Hi {name} 👋 — ask us anything');
    // A dark accent gets white text.
    await patch({ widgetAccentColor: '#1d2330' });
    expect((await publicView()).json().widget.onAccentColor).toBe('#ffffff');
    // Exactly these keys, in this order.
    expect(Object.keys((await publicView()).json().widget)).toEqual(['teamName', 'avatarUrl', 'title', 'accentColor', 'onAccentColor', 'launcherIconUrl', 'position', 'greeting', 'replyTime', 'awayText']);
  });

  it('the public view needs no session, and any page may read it (a page outside the allowlist learns only the look its refusal shows in)', async () => {
    for (const origin of ['https://app.example.com', PUBLIC_URL, 'https://evil.example']) {
      const view = await publicView('?locale=en', { origin });
      expect(view.statusCode).toBe(200);
      expect(view.headers['access-control-allow-origin']).toBe(origin);
      expect(view.headers['access-control-allow-credentials']).toBeUndefined();
      expect(String(view.headers['vary'])).toMatch(/origin/i);
      const preflight = await t.app.inject({ method: 'OPTIONS', url: '/api/v1/widget/settings?locale=en', headers: { origin, 'access-control-request-method': 'GET' } });
      expect(preflight.headers['access-control-allow-origin']).toBe(origin);
    }
    // The rest of the API stays closed to origins outside the allowlist.
    const other = await t.app.inject({ method: 'OPTIONS', url: '/api/v1/conversations', headers: { origin: 'https://evil.example', 'access-control-request-method': 'GET' } });
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('a change counts from the next request of the public view', async () => {
    expect((await publicView()).json().widget.teamName).toBeNull();
    await patch({ widgetTeamName: 'Acme' });
    expect((await publicView()).json().widget.teamName).toBe('Acme');
  });
});

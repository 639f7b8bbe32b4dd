// @vitest-environment happy-dom
/**
 * The embedded widget (widget/src/embed/Widget.tsx) with a real session (createSession) over a fake network:
 * the signing-in state, one message per sign-in failure of docs/external-auth.md (Outcomes) in the user's
 * language, the launcher's unread badge fed by a fake event stream, a locale switch, and Escape. Each test
 * renders into a fresh container and unmounts after.
 */
import { act } from 'preact/test-utils';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Message } from '#shared/api.js';
import { EVENT } from '#shared/constants.js';
import type { Emitter } from '../../widget/src/embed/js-api.js';
import type { AuthProvider, Session } from '../../widget/src/embed/session.js';
import { DEFAULT_APPEARANCE } from '../../widget/src/embed/loader.js';
import { homeOf } from '../../widget/src/embed/Widget.js';
import { errorMessage, pickLocale, type ErrorCode, type LocaleStrings } from '../../widget/src/i18n/locales.js';
import { click, settle, unmount } from '../helpers/dom.js';
import { deferred, errorResponse, exchangeOk, jsonResponse, testMessage, TEST_USER, sseStream, type FakeFetch, type SseStream } from '../helpers/widget-fakes.js';
import { BASE, mountWidget, newTestSession, setUpWidgetTest, tearDownWidgetTest, WAIT } from '../helpers/widget-mount.js';

const EXCHANGE = 'POST /api/v1/auth/exchange';
const en = pickLocale('en', []).strings;
const fr = pickLocale('fr', []).strings;
const ar = pickLocale('ar', []).strings;
const BOB = { id: 'usr_bob', name: 'Bob' };

/**
 * docs/external-auth.md, Outcomes: every sign-in failure code and its status; and rate_limited
 * (docs/security.md, Token acceptance).
 */
const OUTCOMES: [code: ErrorCode, status: number][] = [
  ['token_missing', 401],
  ['token_invalid', 401],
  ['token_expired', 401],
  ['external_auth_disabled', 403],
  ['user_not_found', 401],
  ['email_conflict', 409],
  ['seat_limit_reached', 403],
  ['user_deactivated', 403],
  ['origin_not_allowed', 403],
  ['rate_limited', 429],
];

let container: HTMLElement;
let fake: FakeFetch;
let emitter: Emitter;
/** Everything the widget told `Parley.on` listeners, in order. */
let heard: [string, unknown][];

beforeEach(() => {
  ({ container, fake, emitter, heard } = setUpWidgetTest({
    [EXCHANGE]: () => exchangeOk('sess-1'),
    'GET /api/v1/conversations': () => jsonResponse(200, { conversations: [], nextCursor: null }),
  }));
});

afterEach(() => tearDownWidgetTest(container));

const newSession = (provider?: AuthProvider) => {
  const session = newTestSession(fake, emitter);
  if (provider) session.setAuthProvider(provider);
  return session;
};

let controls: { open(): void; close(): void; toggle(): void };

const mount = (session: Session, options: { locale?: string; open?: boolean } = {}) => mountWidget(container, { session, emitter, bindControls: (c) => (controls = c) }, options);

const q = (selector: string) => container.querySelector<HTMLElement>(selector);
const launcher = () => q('button.launcher') as HTMLButtonElement;
const panel = () => q('.panel:not([hidden])');
const badge = () => q('[data-testid=unread]')?.textContent ?? null;
const liveRegion = () => q('.parley > .sr-only[aria-live=polite]')?.textContent;
const events = (name: string) => heard.filter(([event]) => event === name).map(([, payload]) => payload);

/** A signed-in widget (closed unless told) with its event stream, announced live by `ready`. */
async function signedIn(options: { open?: boolean } = {}): Promise<{ session: Session; stream: SseStream }> {
  const session = newSession();
  await session.signIn('code');
  const next = fake.nextStream();
  await mount(session, options);
  const stream = await next;
  stream.send({ id: 10, event: 'ready' });
  return { session, stream };
}

function pushMessage(stream: SseStream, id: number, message: Message) {
  stream.send({ id, event: EVENT.messageCreated, data: { message } });
}

/** Waits until `Parley.on('message')` has heard the message with this text. */
const messageHeard = (text: string) => vi.waitFor(() => expect(events('message').map((m) => (m as Message).text)).toContain(text), WAIT);

describe('Widget', () => {
  it('draws only the launcher, a real button with an accessible name, until opened', async () => {
    await mount(newSession());
    expect(launcher().tagName).toBe('BUTTON');
    expect(launcher().type).toBe('button');
    expect(launcher().getAttribute('aria-label')).toBe(en.openChat);
    expect(launcher().getAttribute('aria-expanded')).toBe('false');
    expect(launcher().getAttribute('aria-controls')).toBe('parley-panel');
    expect(panel()).toBeNull();
    expect(badge()).toBeNull();
    expect(q('.parley')!.className).toBe('parley right theme-auto');
  });

  it('says "Signing you in…" while the exchange is pending, then shows the signed-in user and the chat', async () => {
    const answer = deferred<Response>();
    fake.on(EXCHANGE, () => answer.promise);
    const session = newSession();
    await mount(session, { open: true });
    expect(q('.panel[role=dialog]')?.getAttribute('aria-label')).toBe(en.chatTitle);
    expect(q('.body .status')?.textContent).toBe(en.signingIn);
    expect(q('.body .status')?.getAttribute('role')).toBe('status');

    const signingIn = session.signIn('code');
    await settle();
    expect(q('.body .status')?.textContent).toBe(en.signingIn);
    expect(q('[data-testid=user-name]')).toBeNull();
    expect(q('.chat')).toBeNull();

    answer.resolve(exchangeOk('sess-1'));
    await act(async () => {
      await signingIn;
    });
    await settle();
    expect(q('[data-testid=user-name]')?.textContent).toBe('Mia');
    expect(q('.body .status')).toBeNull();
    // The home view: the greeting with the user's first name, and a composer.
    expect(q('.chat .hero .greeting')?.textContent).toBe('Hi Mia 👋 — ask us anything');
    expect(q('.chat .composer textarea')).not.toBeNull();
    expect(fake.to('GET /api/v1/conversations')[0]?.headers['authorization']).toBe('Bearer sess-1');
  });

  it('opened while still signing in, focus waits on the panel and moves to the first control once signed in', async () => {
    const answer = deferred<Response>();
    fake.on(EXCHANGE, () => answer.promise);
    const session = newSession();
    await mount(session);
    const signingIn = session.signIn('code');
    await click(launcher());
    expect(document.activeElement).toBe(panel());
    answer.resolve(exchangeOk('sess-1'));
    await act(async () => {
      await signingIn;
    });
    await settle();
    expect(document.activeElement).toBe(q('.chat .composer textarea'));
  });

  describe('shows each sign-in failure of docs/external-auth.md with its own message', () => {
    it.each(OUTCOMES.filter(([code]) => code !== 'token_expired'))('%s (%i)', async (code, status) => {
      fake.on(EXCHANGE, () => errorResponse(status, code, `server says ${code}`));
      const session = newSession();
      await mount(session, { open: true });
      await act(async () => {
        await session.signIn('code');
      });
      const alert = q('.panel [data-code]');
      expect(alert?.getAttribute('data-code')).toBe(code);
      expect(alert?.getAttribute('role')).toBe('alert');
      expect(alert?.textContent).toBe(errorMessage(en, code));
      expect(alert?.textContent).toBe(en.errors[code]);
      expect(q('[data-testid=user-name]')).toBeNull();
      expect(events('error')).toEqual([{ code, message: `server says ${code}` }]);
    });

    it('token_expired with an auth provider at work: "signing you in again…"', async () => {
      fake.on(EXCHANGE, () => errorResponse(401, 'token_expired'));
      const session = newSession({ generateToken: () => new Promise<string>(() => undefined) });
      await mount(session, { open: true });
      await act(() => {
        void session.signIn('code');
      });
      await settle();
      const alert = q('.panel [data-code]');
      expect(alert?.getAttribute('data-code')).toBe('token_expired');
      expect(alert?.textContent).toBe(errorMessage(en, 'token_expired'));
      expect(alert?.textContent).toBe('Your sign-in has expired. Signing you in again…');
    });

    it('a first code already expired, with nothing to get another: says the link expired, not that a renewal failed', async () => {
      fake.on(EXCHANGE, () => errorResponse(401, 'token_expired'));
      const session = newSession();
      await mount(session, { open: true });
      await act(async () => {
        await session.signIn('code');
      });
      const alert = q('.panel [data-code]');
      expect(alert?.getAttribute('data-code')).toBe('token_expired');
      expect(alert?.textContent).toBe(en.codeExpired);
    });

    it('an account deactivated while its panel is open: the stream answers 403 user_deactivated and the panel says the account was deactivated, without trying again', async () => {
      const session = newSession();
      await session.signIn('code');
      session.setAuthProvider({ generateToken: () => 'fresh-code' });
      const first = fake.nextStream();
      await mount(session, { open: true });
      const stream = await first;
      fake.on('GET /api/v1/events', () => errorResponse(403, 'user_deactivated', 'Your account has been deactivated.'));
      stream.end(); // the server closes a deactivated account's streams; the reconnect is refused
      await vi.waitFor(() => expect(q('.panel [data-code]')?.getAttribute('data-code')).toBe('user_deactivated'), WAIT);
      expect(q('.panel [data-code]')?.textContent).toBe(en.errors['user_deactivated']);
      expect(events('error').at(-1)).toEqual({ code: 'user_deactivated', message: 'The account has been deactivated.' });
      // No new code is asked for: none could help.
      expect(fake.to(EXCHANGE)).toHaveLength(1);
    });

    it('a session that ends with nothing to renew it says so; a signed-out user is told they signed out', async () => {
      const session = newSession();
      await session.signIn('code');
      await mount(session, { open: true });
      await act(async () => {
        await session.sessionExpired();
      });
      expect(q('.panel [data-code]')?.textContent).toBe(en.sessionEnded);
      await act(async () => {
        await session.logout();
      });
      expect(q('.body .status')?.textContent).toBe(en.signedOut);
      // Every ending has its own words, in every locale.
      for (const strings of [en, fr]) expect(new Set([strings.codeExpired, strings.sessionEnded, strings.gaveUp, strings.signedOut, strings.errors.user_deactivated, strings.errors.origin_not_allowed]).size).toBe(6);
    });

    it('no two codes share a message, in English or French', () => {
      for (const strings of [en, fr]) {
        const texts = OUTCOMES.map(([code]) => errorMessage(strings, code));
        expect(new Set(texts).size).toBe(OUTCOMES.length);
        expect(texts).not.toContain(strings.errorGeneric);
      }
    });

    it('network_error when Parley cannot be reached, and the generic message for a code it does not know', async () => {
      fake.on(EXCHANGE, () => Promise.reject(new TypeError('Failed to fetch')));
      const session = newSession();
      await mount(session, { open: true });
      // The same code is tried again after a pause (this test's sleep never ends): the panel says why meanwhile.
      void act(() => {
        void session.signIn('code');
      });
      await vi.waitFor(() => expect(q('.panel [data-code]')?.getAttribute('data-code')).toBe('network_error'), WAIT);
      expect(q('.panel [data-code]')?.textContent).toBe(en.errors['network_error']);

      fake.on(EXCHANGE, () => errorResponse(418, 'teapot'));
      await act(async () => {
        await session.signIn('code');
      });
      expect(q('.panel [data-code]')?.getAttribute('data-code')).toBe('teapot');
      expect(q('.panel [data-code]')?.textContent).toBe(en.errorGeneric);
    });
  });

  describe('the unread badge', () => {
    it("counts others' live messages while closed (not the user's own), and resets on open", async () => {
      const { stream } = await signedIn();
      expect(stream.request.headers['authorization']).toBe('Bearer sess-1');
      expect(stream.request.url).toBe(`${BASE}/api/v1/events`);

      pushMessage(stream, 11, testMessage('Hi from Bob', BOB));
      await vi.waitFor(() => expect(badge()).toBe('1'), WAIT);
      expect(launcher().getAttribute('aria-label')).toBe(`${en.openChat} (${en.unread(1)})`);
      expect(liveRegion()).toBe('1 unread message');

      pushMessage(stream, 12, testMessage('My own, from my phone', { id: TEST_USER.id, name: 'Mia' }));
      await messageHeard('My own, from my phone');
      await settle();
      expect(badge()).toBe('1');

      pushMessage(stream, 13, testMessage('Still there?', BOB));
      await vi.waitFor(() => expect(badge()).toBe('2'), WAIT);
      expect(launcher().getAttribute('aria-label')).toBe(`${en.openChat} (${en.unread(2)})`);
      expect(liveRegion()).toBe('2 unread messages');
      // The unread event follows the badge's render: wait for it rather than assume it came in the same turn.
      await vi.waitFor(() => expect(events('unread')).toEqual([{ count: 0 }, { count: 1 }, { count: 2 }]), WAIT);
      expect(events('message').map((m) => (m as Message).text)).toEqual(['Hi from Bob', 'My own, from my phone', 'Still there?']);

      await click(launcher());
      expect(panel()).not.toBeNull();
      expect(badge()).toBeNull();
      expect(launcher().getAttribute('aria-label')).toBe(en.closeChat);
      expect(liveRegion()).toBe('');
      await vi.waitFor(() => expect(events('unread').at(-1)).toEqual({ count: 0 }), WAIT);
      expect(events('open')).toHaveLength(1);

      // While open nothing is unread; after closing, the count starts again from zero.
      pushMessage(stream, 14, testMessage('Seen at once', BOB));
      await messageHeard('Seen at once');
      await settle();
      expect(badge()).toBeNull();
      await click(launcher());
      expect(panel()).toBeNull();
      expect(badge()).toBeNull();
      pushMessage(stream, 15, testMessage('And one more', BOB));
      await vi.waitFor(() => expect(badge()).toBe('1'), WAIT);
      await vi.waitFor(() => expect(events('unread')).toEqual([{ count: 0 }, { count: 1 }, { count: 2 }, { count: 0 }, { count: 1 }]), WAIT);
    });

    it('shows 99+ past 99, and ignores events that are not new messages', async () => {
      const { stream } = await signedIn();
      stream.send({ id: 11, event: EVENT.conversationCreated, data: { conversation: { id: 'cnv_2' } } });
      let frames = '';
      for (let i = 0; i < 100; i++) frames += `id: ${12 + i}\nevent: ${EVENT.messageCreated}\ndata: ${JSON.stringify({ message: testMessage(`n${i}`, BOB) })}\n\n`;
      stream.write(frames);
      await vi.waitFor(() => expect(events('message')).toHaveLength(100), WAIT);
      await settle();
      await vi.waitFor(() => expect(badge()).toBe('99+'), WAIT);
      expect(launcher().getAttribute('aria-label')).toBe(`${en.openChat} (${en.unread(100)})`);
    });
  });

  describe('locales', () => {
    it('switches to French when rendered with the French table', async () => {
      fake.on(EXCHANGE, () => errorResponse(403, 'seat_limit_reached'));
      const session = newSession();
      await mount(session);
      expect(launcher().getAttribute('aria-label')).toBe('Open chat');
      expect(launcher().getAttribute('lang')).toBe('en');

      await mount(session, { locale: 'fr' });
      expect(launcher().getAttribute('lang')).toBe('fr');
      expect(launcher().getAttribute('aria-label')).toBe('Ouvrir le chat');
      await click(launcher());
      expect(panel()?.getAttribute('lang')).toBe('fr');
      expect(panel()?.getAttribute('dir')).toBe('ltr');
      expect(launcher().getAttribute('aria-label')).toBe('Fermer le chat');
      expect(q('.panel button.close')?.getAttribute('aria-label')).toBe('Fermer le chat');
      expect(q('.body .status')?.textContent).toBe('Connexion en cours…');

      await act(async () => {
        await session.signIn('code');
      });
      expect(q('.panel [data-code]')?.textContent).toBe('Ce chat est complet : toutes les places sont prises. Contactez votre administrateur.');
      expect(q('.panel [data-code]')?.textContent).toBe(fr.errors['seat_limit_reached']);
    });

    it('speaks French in the chat once signed in, and counts unread messages in French', async () => {
      const session = newSession();
      await session.signIn('code');
      const next = fake.nextStream();
      await mount(session, { locale: 'fr', open: true });
      const stream = await next;
      await settle();
      expect(q('.chat .hero .greeting')?.textContent).toBe(fr.greeting.replace('{name}', 'Mia'));
      expect(q('.chat .composer textarea')?.getAttribute('placeholder')).toBe(fr.composerPlaceholder);
      await click(launcher());
      stream.send({ id: 1, event: 'ready' });
      pushMessage(stream, 2, testMessage('Bonjour', BOB));
      pushMessage(stream, 3, testMessage('Ça va ?', BOB));
      await vi.waitFor(() => expect(badge()).toBe('2'), WAIT);
      expect(launcher().getAttribute('aria-label')).toBe('Ouvrir le chat (2 messages non lus)');
    });

    it('lays the Arabic panel out right to left, not the column that holds the launcher', async () => {
      await mount(newSession(), { locale: 'ar' });
      expect(launcher().getAttribute('aria-label')).toBe('فتح الدردشة');
      expect(launcher().getAttribute('lang')).toBe('ar');
      await click(launcher());
      expect(panel()?.getAttribute('dir')).toBe('rtl');
      expect(panel()?.getAttribute('lang')).toBe('ar');
      expect(q('.parley > .sr-only[aria-live=polite]')?.getAttribute('dir')).toBe('rtl');
      // In a right-to-left column `align-items: flex-end` is the left: the launcher would jump across.
      expect(q('.parley')?.hasAttribute('dir')).toBe(false);
    });

    it('has every string and every error code in French and Arabic, none of them left in English', () => {
      const keys = (o: object) => Object.keys(o).sort();
      for (const strings of [fr, ar]) {
        expect(keys(strings)).toEqual(keys(en));
        expect(keys(strings.errors)).toEqual(keys(en.errors));
        expect(keys(strings.authors)).toEqual(keys(en.authors));
      }
      const english = new Set([...Object.values(en), ...Object.values(en.errors), ...Object.values(en.authors)].filter((v) => typeof v === 'string'));
      for (const [key, value] of Object.entries(ar)) if (typeof value === 'string') expect(english.has(value), key).toBe(false);
      for (const [code, value] of Object.entries(ar.errors)) expect(english.has(value), code).toBe(false);
      for (const [type, value] of Object.entries(ar.authors)) expect(english.has(value), type).toBe(false);
      for (const key of ['liveLost', 'tooLong', 'errorGeneric', 'notSignedInTitle', 'notSignedInBody', 'loadOlder'] as const) {
        expect(fr[key], key).not.toBe(en[key]);
      }
      expect(new Set(OUTCOMES.map(([code]) => errorMessage(ar, code))).size).toBe(OUTCOMES.length);
      expect(errorMessage(ar, 'no_such_code')).toBe(ar.errorGeneric);
      expect(errorMessage(ar, 'toString')).toBe(ar.errorGeneric);
    });

    it('a locale table missing a string or an error code does not typecheck (checked by tsc)', () => {
      const { notSignedInBody: _body, ...withoutBody } = fr;
      // @ts-expect-error every string is required
      const missingString: LocaleStrings = withoutBody;
      const { internal_error: _internal, ...withoutCode } = ar.errors;
      // @ts-expect-error every error code is required
      const missingCode: LocaleStrings['errors'] = withoutCode;
      expect(Object.keys(missingString)).not.toContain('notSignedInBody');
      expect(Object.keys(missingCode)).not.toContain('internal_error');
    });

    it('counts unread messages with each language’s plural rules', () => {
      expect([1, 2, 21].map(en.unread)).toEqual(['1 unread message', '2 unread messages', '21 unread messages']);
      expect([1, 2].map(fr.unread)).toEqual(['1 message non lu', '2 messages non lus']);
      // Arabic: one, two, few (3–10), many (11–99), other (100, 101…), then few again (103).
      expect([1, 2, 3, 10, 11, 99, 100, 103].map(ar.unread)).toEqual([
        'رسالة واحدة غير مقروءة',
        'رسالتان غير مقروءتين',
        '3 رسائل غير مقروءة',
        '10 رسائل غير مقروءة',
        '11 رسالة غير مقروءة',
        '99 رسالة غير مقروءة',
        '100 رسالة غير مقروءة',
        '103 رسائل غير مقروءة',
      ]);
    });

    it('picks data-locale first, then the browser’s languages, then English', () => {
      expect(pickLocale('fr-CA', ['en-US']).code).toBe('fr');
      expect(pickLocale(null, ['de-DE', 'fr-BE', 'en']).code).toBe('fr');
      expect(pickLocale('xx', ['AR-eg'])).toMatchObject({ code: 'ar', dir: 'rtl' });
      expect(pickLocale(undefined, ['de'])).toMatchObject({ code: 'en', dir: 'ltr' });
    });
  });

  it("the home view's greeting puts the first name where {name} is, as written, $ included; no name, no gap", () => {
    const look = { ...DEFAULT_APPEARANCE, greeting: 'Hello {name}, welcome!', replyTime: 'Soon' };
    expect(homeOf(look, { name: 'Zoë $& Co' }, en).greeting).toBe('Hello Zoë, welcome!');
    expect(homeOf({ ...look, greeting: 'Hi {name} — we are here' }, { name: "$'x" }, en).greeting).toBe("Hi $'x — we are here");
    expect(homeOf(DEFAULT_APPEARANCE, { name: null }, en).greeting).toBe('Hi 👋 — ask us anything');
    expect(homeOf(DEFAULT_APPEARANCE, { name: 'Ada Lovelace' }, fr).greeting).toBe('Bonjour Ada 👋 — posez-nous vos questions');
  });

  describe('open and close', () => {
    it('close, open and toggle in one turn each see the one before: three events, closed in the end, the launcher saying so at once', async () => {
      await signedIn({ open: true });
      await act(() => {
        controls.close();
        controls.open();
        controls.toggle();
      });
      expect(events('close')).toHaveLength(2);
      expect(events('open')).toHaveLength(2); // open from the start, then the one in the turn
      expect(panel()).toBeNull();
      expect(launcher().getAttribute('aria-expanded')).toBe('false');
    });

    it('Escape closes the panel, emits close once and gives focus back to the launcher', async () => {
      await signedIn();
      await click(launcher());
      expect(panel()).not.toBeNull();
      expect(launcher().getAttribute('aria-expanded')).toBe('true');
      const inside = document.activeElement as HTMLElement;
      expect(panel()!.contains(inside)).toBe(true);
      expect(inside).toBe(q('.chat .composer textarea'));

      await act(() => {
        inside.dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape', bubbles: true, cancelable: true }));
      });
      await settle();
      expect(panel()).toBeNull();
      expect(events('close')).toEqual([undefined]);
      expect(document.activeElement).toBe(launcher());
      expect(launcher().getAttribute('aria-expanded')).toBe('false');

      // Another key does nothing; Escape on the closed widget emits nothing more.
      await act(() => {
        launcher().dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape', bubbles: true, cancelable: true }));
      });
      expect(events('close')).toHaveLength(1);
    });

    it('other keys inside the panel keep it open', async () => {
      await signedIn({ open: true });
      await settle();
      await act(() => {
        panel()!.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true }));
        panel()!.dispatchEvent(new KeyboardEvent('keydown', { key: 'Esc', bubbles: true }));
      });
      expect(panel()).not.toBeNull();
      expect(events('close')).toEqual([]);
    });

    it('answers Parley.open / close / toggle, emitting open and close only on a change', async () => {
      await signedIn();
      await act(() => controls.open());
      await act(() => controls.open());
      expect(panel()).not.toBeNull();
      await act(() => controls.toggle());
      expect(panel()).toBeNull();
      await act(() => controls.close());
      await act(() => controls.toggle());
      expect(panel()).not.toBeNull();
      expect(heard.filter(([e]) => e === 'open' || e === 'close').map(([e]) => e)).toEqual(['open', 'close', 'open']);
    });

    it('the header close button closes too, and focus returns to the launcher', async () => {
      await signedIn({ open: true });
      await settle();
      await click(q('.panel button.close')!);
      expect(panel()).toBeNull();
      expect(document.activeElement).toBe(launcher());
      expect(events('close')).toHaveLength(1);
    });
  });

  it('when the session ends, shows token_expired, asks the auth provider, and goes live again with the fresh session', async () => {
    const fresh = deferred<string>();
    const session = newSession({ generateToken: () => fresh.promise });
    await session.signIn('code');
    const first = fake.nextStream();
    await mount(session, { open: true });
    const stream = await first;
    stream.send({ id: 10, event: 'ready' });
    await settle();
    expect(q('[data-testid=user-name]')?.textContent).toBe('Mia');

    // The server ends the stream and refuses the old session from now on.
    fake.on('GET /api/v1/events', () => errorResponse(401, 'session_invalid'));
    stream.end();
    await vi.waitFor(() => expect(q('.panel [data-code]')?.getAttribute('data-code')).toBe('token_expired'), { timeout: 3000, interval: 10 });
    expect(q('.panel [data-code]')?.textContent).toBe(en.errors['token_expired']);
    expect(q('[data-testid=user-name]')).toBeNull();
    expect(events('error')).toEqual([{ code: 'token_expired', message: 'The session has expired.' }]);

    fake.on(EXCHANGE, () => exchangeOk('sess-2'));
    fake.on('GET /api/v1/events', (request) => {
      const next = sseStream(request);
      fake.streams.push(next);
      return next.response;
    });
    await act(async () => {
      fresh.resolve('fresh-code');
      await fresh.promise;
    });
    await vi.waitFor(() => expect(fake.streams).toHaveLength(2), WAIT);
    expect(fake.streams[1]!.request.headers['authorization']).toBe('Bearer sess-2');
    // The new session's stream resumes where the old one stopped: nothing posted in the gap is lost.
    expect(fake.streams[1]!.request.headers['last-event-id']).toBe('10');
    expect(fake.to(EXCHANGE).map((r) => (r.body as { externalAuthCode: string }).externalAuthCode)).toEqual(['code', 'fresh-code']);
    await vi.waitFor(() => expect(q('[data-testid=user-name]')?.textContent).toBe('Mia'), WAIT);
    expect(q('.panel [data-code]')).toBeNull();
  });

  it('stops its event stream when unmounted', async () => {
    const { stream } = await signedIn();
    expect(stream.closed).toBe(false);
    await unmount(container);
    expect(stream.request.signal?.aborted).toBe(true);
  });
});

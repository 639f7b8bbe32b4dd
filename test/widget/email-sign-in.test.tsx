// @vitest-environment happy-dom
/**
 * Email sign-in in the widget's panel (widget/src/chat/email-sign-in.tsx inside Widget.tsx), over a fake
 * network: with `signInMethods` holding email, a visitor without a session gets the address form, then
 * "check your inbox" and the code field; a wrong code is announced in the live region; the right one signs
 * in with the session it answers. With external sign-in only, nothing of it shows. Labels in the locale.
 */
import { act } from 'preact/test-utils';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Emitter } from '../../widget/src/embed/js-api.js';
import type { WidgetControls } from '../../widget/src/embed/Widget.js';
import { pickLocale } from '../../widget/src/i18n/locales.js';
import { settle } from '../helpers/dom.js';
import { errorResponse, exchangeOk, jsonResponse, type FakeFetch } from '../helpers/widget-fakes.js';
import { mountWidget, newTestSession, setUpWidgetTest, tearDownWidgetTest, WAIT } from '../helpers/widget-mount.js';

const START = 'POST /api/v1/auth/email/start';
const VERIFY = 'POST /api/v1/auth/email/verify';
const en = pickLocale('en', []).strings;
const fr = pickLocale('fr', []).strings;

let container: HTMLElement;
let fake: FakeFetch;
let emitter: Emitter;

beforeEach(() => {
  ({ container, fake, emitter } = setUpWidgetTest({
    [START]: () => jsonResponse(202, {}),
    [VERIFY]: (request) => ((request.body as { code: string }).code === '123456' ? exchangeOk('sess-email') : errorResponse(401, 'email_code_invalid')),
    'GET /api/v1/conversations': () => jsonResponse(200, { conversations: [], nextCursor: null }),
  }));
});
afterEach(() => tearDownWidgetTest(container));

async function mount(emailSignIn: boolean, locale = 'en') {
  const session = newTestSession(fake, emitter);
  let controls: WidgetControls | undefined;
  await mountWidget(container, { session, emitter, bindControls: (c) => (controls = c) }, { open: true, locale, appearance: { emailSignIn } });
  await settle();
  return { session, controls: controls! };
}

const input = (id: string) => container.querySelector<HTMLInputElement>(`#${id}`);
const labelOf = (id: string) => container.querySelector(`label[for="${id}"]`)?.textContent;
const liveRegion = () => container.querySelector('.email-sign-in [aria-live]');

async function type(id: string, value: string) {
  await act(() => {
    const field = input(id)!;
    field.value = value;
    field.dispatchEvent(new Event('input', { bubbles: true }));
  });
}
async function submit() {
  await act(() => {
    container.querySelector('form.email-sign-in')!.dispatchEvent(new Event('submit', { bubbles: true, cancelable: true }));
  });
  await settle();
}

describe('email sign-in in the panel', () => {
  it('asks for the address, then the code, and signs in with the session verify answers', async () => {
    const { session } = await mount(true);
    expect(labelOf('parley-email')).toBe('Your email address');
    expect(input('parley-email')!.type).toBe('email');
    expect(input('parley-email')!.required).toBe(true);
    expect(liveRegion()!.getAttribute('aria-live')).toBe('assertive');
    expect(container.textContent).not.toContain(en.signingIn);

    await type('parley-email', 'ada@example.com');
    await submit();
    expect(fake.to(START).map((r) => [r.body, r.credentials])).toEqual([[{ email: 'ada@example.com' }, 'omit']]);
    expect(container.querySelector('[role="status"]')!.textContent).toBe(en.emailSent);
    expect(labelOf('parley-code')).toBe('6-digit code');
    expect(input('parley-code')!.getAttribute('autocomplete')).toBe('one-time-code');
    expect(input('parley-code')!.getAttribute('inputmode')).toBe('numeric');

    await type('parley-code', '000000');
    await submit();
    expect(liveRegion()!.textContent).toBe(en.errors.email_code_invalid);
    expect(session.state.status).toBe('idle');

    await type('parley-code', '123456');
    await submit();
    expect(fake.to(VERIFY).map((r) => r.body)).toEqual([
      { email: 'ada@example.com', code: '000000' },
      { email: 'ada@example.com', code: '123456' },
    ]);
    await vi.waitFor(() => expect(container.querySelector('[data-testid="user-name"]')?.textContent).toBe('Mia'), WAIT);
    expect(session.state).toMatchObject({ status: 'signed-in', token: 'sess-email' });
    expect(container.querySelector('form.email-sign-in')).toBeNull();
  });

  it('says why a request was refused (rate_limited) and lets the visitor use another address', async () => {
    fake.on(START, () => errorResponse(429, 'rate_limited'));
    await mount(true);
    await type('parley-email', 'ada@example.com');
    await submit();
    expect(liveRegion()!.textContent).toBe(en.errors.rate_limited);
    expect(input('parley-code')).toBeNull();
    fake.on(START, () => jsonResponse(202, {}));
    await submit();
    expect(input('parley-code')).not.toBeNull();
    await act(() => container.querySelector<HTMLButtonElement>('form.email-sign-in button[type="button"]')!.click());
    expect(input('parley-email')!.value).toBe('ada@example.com');
    expect(input('parley-code')).toBeNull();
  });

  it('is in the widget’s locale', async () => {
    await mount(true, 'fr');
    expect(labelOf('parley-email')).toBe(fr.emailLabel);
    expect(container.querySelector('form.email-sign-in button[type="submit"]')!.textContent).toBe('Recevoir un code de connexion');
  });

  it('with external sign-in only, nothing changes: no form, the signing-in status', async () => {
    await mount(false);
    expect(container.querySelector('form.email-sign-in')).toBeNull();
    expect(container.querySelector('.status')!.textContent).toBe(en.signingIn);
    expect(fake.to(START)).toEqual([]);
  });

  it('gives way to an external sign-in started by the page (identify)', async () => {
    fake.on('POST /api/v1/auth/exchange', () => exchangeOk('sess-ext'));
    const { session } = await mount(true);
    expect(container.querySelector('form.email-sign-in')).not.toBeNull();
    await act(async () => {
      await session.signIn('code-1');
    });
    await vi.waitFor(() => expect(container.querySelector('[data-testid="user-name"]')?.textContent).toBe('Mia'), WAIT);
    expect(container.querySelector('form.email-sign-in')).toBeNull();
  });
});

// @vitest-environment happy-dom
/**
 * Settings › Sign-in methods and Email sign-in domains (widget/src/admin/Settings.tsx) against the fake admin
 * server: the method is picked from three choices and saved as the list the API takes; the domains are one
 * per line, empty as null; without an SMTP server the refusal (400 email_not_configured) says what to do.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { addContainer, click, removeContainer } from '../helpers/dom.js';
import { callsTo, choose, dom, fail, input, ok, serve, type Call } from './admin-fake.js';

type Row = { name: string; variable: string | null; value: unknown; locked: boolean };
const free = (name: string, value: unknown): Row => ({ name, variable: null, value, locked: false });
const rows = (methods: string[], domains: string[]): Row[] => [
  { name: 'seatLimit', variable: 'PARLEY_SEAT_LIMIT', value: 5, locked: false },
  free('externalAuthEnabled', true),
  free('signInMethods', methods),
  free('emailSignInDomains', domains),
];

let container: HTMLElement;
let d: ReturnType<typeof dom>;
beforeEach(() => {
  container = addContainer();
  d = dom(container);
});
afterEach(() => {
  removeContainer(container);
  vi.unstubAllGlobals();
});

/** The server keeps what it is sent; email is refused while `smtp` is false. */
function serveSettings(smtp: boolean) {
  let current = rows(['external'], []);
  serve({
    'GET /api/v1/admin/settings': () => ok({ settings: current }),
    'PATCH /api/v1/admin/settings': (call: Call) => {
      const body = call.body as { signInMethods?: string[]; emailSignInDomains?: string[] | null };
      if (body.signInMethods?.includes('email') && !smtp) return fail(400, 'email_not_configured');
      current = current.map((s) =>
        s.name === 'signInMethods' && body.signInMethods ? { ...s, value: body.signInMethods } : s.name === 'emailSignInDomains' && 'emailSignInDomains' in body ? { ...s, value: body.emailSignInDomains ?? [] } : s,
      );
      return ok({ settings: current });
    },
  });
}

describe('sign-in settings', () => {
  it('saves the methods as a list and the domains one per line', async () => {
    serveSettings(true);
    await d.mount('#/settings');
    const methods = d.control<HTMLSelectElement>('Sign-in methods');
    expect(methods.value).toBe('external');
    expect([...methods.options].map((o) => [o.value, d.text(o)])).toEqual([
      ['external', 'External auth (signed tokens) only'],
      ['email', 'Email (a code and a link) only'],
      ['external,email', 'External auth and email'],
    ]);
    await choose(methods, 'external,email');
    await click(d.button('Save sign-in methods'));
    await input(d.control<HTMLTextAreaElement>('Email sign-in domains'), 'example.com\n\n  partner.org \n');
    await click(d.button('Save email sign-in domains'));
    await input(d.control<HTMLTextAreaElement>('Email sign-in domains'), ' ');
    await click(d.button('Save email sign-in domains'));
    expect(callsTo('PATCH', '/api/v1/admin/settings').map((c) => c.body)).toEqual([
      { signInMethods: ['external', 'email'] },
      { emailSignInDomains: ['example.com', 'partner.org'] },
      { emailSignInDomains: null },
    ]);
    expect(d.text(d.q('[data-setting=signInMethods] [role=status]'))).toBe('Saved.');
    expect(d.control<HTMLSelectElement>('Sign-in methods').value).toBe('external,email');
  });

  it('without an SMTP server, says email sign-in cannot work', async () => {
    serveSettings(false);
    await d.mount('#/settings');
    await choose(d.control<HTMLSelectElement>('Sign-in methods'), 'email');
    await click(d.button('Save sign-in methods'));
    expect(d.text(d.q('[data-setting=signInMethods] [role=alert]'))).toBe('Email sign-in needs an SMTP server: set one first (PARLEY_SMTP_URL or the SMTP setting).');
  });
});

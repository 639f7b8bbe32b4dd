// @vitest-environment happy-dom
// @vitest-environment-options { "url": "https://app.example.com/billing/invoices/42?token=secret&x=1#pay" }
/**
 * The page the widget was opened on goes with the sign-in (widget/src/embed/session.ts): the exchange's body
 * names its origin and path, never its query or fragment (they may hold tokens), at most 300 characters.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createSession, PAGE_MAX_CHARS } from '../../widget/src/embed/session.js';
import { createFakeFetch, exchangeOk } from '../helpers/widget-fakes.js';

const EXCHANGE = 'POST /api/v1/auth/exchange';
const START = location.href;
afterEach(() => history.replaceState(null, '', START));

async function exchangedBody() {
  const fake = createFakeFetch({ [EXCHANGE]: () => exchangeOk('s-1') });
  const session = createSession({ baseUrl: 'https://parley.test', fetch: fake.fetch });
  await expect(session.signIn('code-1')).resolves.toBe(true);
  return fake.to(EXCHANGE)[0]!.body;
}

describe('the page at sign-in', () => {
  it('is the origin and path of the host page, without its query or fragment', async () => {
    expect(await exchangedBody()).toEqual({ externalAuthCode: 'code-1', page: 'https://app.example.com/billing/invoices/42' });
  });

  it('is cut at 300 characters', async () => {
    history.replaceState(null, '', `/${'p'.repeat(400)}?q=1`);
    const { page } = (await exchangedBody()) as { page: string };
    expect(PAGE_MAX_CHARS).toBe(300);
    expect(page).toBe(`https://app.example.com/${'p'.repeat(300 - 'https://app.example.com/'.length)}`);
  });
});

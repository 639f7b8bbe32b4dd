/**
 * The hosted-page sign-in as a browser sees it. A failed sign-in answers 303 to the URL without the code
 * and a short-lived `parley_sign_in_error` cookie; the page there shows the error. `followSignInFailure`
 * takes that step, so a test can assert the page the user ends on.
 */
import type { LightMyRequestResponse } from 'fastify';
import { expect } from 'vitest';
import type { App } from '../../server/src/app.js';

export const SIGN_IN_FAILURE_COOKIE = 'parley_sign_in_error';

/**
 * The page a hosted-page response leads to: for a failed sign-in (303 with the failure cookie, no session
 * cookie, a Location without the code) the page at its Location, fetched with that cookie; otherwise the
 * response itself.
 */
export async function followSignInFailure(app: App, res: LightMyRequestResponse, options: { remoteAddress?: string } = {}): Promise<LightMyRequestResponse> {
  const failure = res.cookies.find((c) => c.name === SIGN_IN_FAILURE_COOKIE && c.value !== '');
  if (res.statusCode !== 303 || !failure) return res;
  const location = String(res.headers['location']);
  expect(location).toMatch(/^\/(?![/\\])/);
  expect(location).not.toContain('externalAuthCode');
  expect(res.cookies.find((c) => c.name === 'parley_session')).toBeUndefined();
  return app.inject({ method: 'GET', url: location, headers: { accept: 'text/html' }, cookies: { [SIGN_IN_FAILURE_COOKIE]: failure.value }, ...options });
}

/** GET `url` (with a code) and follow a failure to the page that shows it. */
export async function openHostedPage(app: App, url: string, options: { remoteAddress?: string } = {}): Promise<LightMyRequestResponse> {
  return followSignInFailure(app, await app.inject({ method: 'GET', url, headers: { accept: 'text/html' }, ...options }), options);
}

/** The session cookie a response set, if any. */
export const sessionCookieOf = (res: LightMyRequestResponse) => res.cookies.find((c) => c.name === 'parley_session');

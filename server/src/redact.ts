/**
 * Keeps tokens out of logs: the URL of a request is logged with the value of every secret-bearing query
 * parameter replaced. Names are compared after percent-decoding and case-folding, as the router reads them
 * (`externalAuth%43ode` is `externalAuthCode` too).
 */

/**
 * Every query parameter that can carry a secret, case-folded: the hosted page's `externalAuthCode`, email
 * sign-in's link (`emailSignIn`), the one-time links' `token` (`/email/open`, `/email/unsubscribe`,
 * `/admin/setup`), and the credentials the token API refuses in a query string (it refuses them after the
 * request is logged, so they are redacted too).
 */
const SECRET_NAMES: ReadonlySet<string> = new Set([
  'externalauthcode',
  'emailsignin',
  'token',
  'access_token',
  'authtoken',
  'auth_token',
  'x-auth-token',
  'x-velt-auth-token',
  'apikey',
  'api_key',
  'x-api-key',
  'x-velt-api-key',
]);

function decodedName(raw: string): string {
  try {
    return decodeURIComponent(raw.replace(/\+/g, ' ')).toLowerCase();
  } catch {
    return raw.toLowerCase();
  }
}

export function redactUrl(url: string): string {
  const q = url.indexOf('?');
  if (q === -1) return url;
  const hash = url.indexOf('#', q);
  const query = url.slice(q + 1, hash === -1 ? undefined : hash);
  const redacted = query
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      const name = eq === -1 ? pair : pair.slice(0, eq);
      return SECRET_NAMES.has(decodedName(name)) ? `${name}=[redacted]` : pair;
    })
    .join('&');
  return `${url.slice(0, q)}?${redacted}`;
}

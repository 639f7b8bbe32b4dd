/**
 * Where a hosted-page sign-in lands: the request's own path and other parameters, without the code, and
 * only ever a path on Parley's own origin (docs/security.md).
 */
export const SIGN_IN_PARAM = 'externalAuthCode';

/**
 * The origin-form (`/path?query`) of a request target. HTTP/1.1 servers must accept the absolute form
 * (`GET http://host/path`, RFC 9112 §3.2.2); only its path and query are ever used, never its host.
 */
export function originForm(target: string): string {
  if (target.startsWith('/')) return target;
  try {
    const url = new URL(target);
    return url.pathname.startsWith('/') ? `${url.pathname}${url.search}` : '/';
  } catch {
    return '/';
  }
}

/**
 * The URL to land on: the same path and other parameters, without the code, and always a path on Parley's
 * own origin: leading slashes and backslashes collapse to one (never `//host`), the host of an absolute
 * target is dropped, and anything but printable ASCII lands on `/`.
 */
export function landingUrl(requestUrl: string): string {
  const target = originForm(requestUrl);
  const q = target.indexOf('?');
  const path = (q === -1 ? target : target.slice(0, q)).replace(/^[/\\]+/, '/');
  let landing: string;
  // The common case, the code as the only parameter, needs no parsing.
  if (q !== -1 && target.startsWith(`${SIGN_IN_PARAM}=`, q + 1) && !target.includes('&', q)) landing = path;
  else {
    const params = new URLSearchParams(q === -1 ? '' : target.slice(q + 1));
    params.delete(SIGN_IN_PARAM);
    const search = params.toString();
    landing = search ? `${path}?${search}` : path;
  }
  return /^\/(?![/\\])[\x21-\x7e]*$/.test(landing) ? landing : '/';
}

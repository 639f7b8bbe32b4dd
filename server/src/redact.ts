/** Keeps tokens out of logs: the URL of a request is logged with its secrets replaced. */

const SECRET_PARAMS = /([?&](?:externalAuthCode|authToken|token|access_token)=)[^&#]*/gi;

export function redactUrl(url: string): string {
  return url.replace(SECRET_PARAMS, '$1[redacted]');
}

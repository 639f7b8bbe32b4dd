/**
 * The HTML error page of the hosted page (docs/external-auth.md, Outcomes; failures reach it as in The hosted page): the code's status, what happened and what the
 * user can do. Static text only; nothing from the request is echoed.
 */
import type { ErrorCode } from '#shared/errors.js';

interface Explanation {
  title: string;
  /** HTML: static text, with a command in <code>. */
  body: string;
}

const EXPLANATIONS: ReadonlyMap<ErrorCode, Explanation> = new Map<ErrorCode, Explanation>([
  ['token_missing', { title: 'Sign-in link incomplete', body: 'This link has no sign-in code. Open the chat again from the product you came from.' }],
  ['token_invalid', { title: 'Sign-in link not valid', body: 'This sign-in link is not valid. Open the chat again from the product you came from; if it keeps happening, contact your administrator.' }],
  ['token_expired', { title: 'Sign-in link expired', body: 'This sign-in link has expired. Go back to the product you came from and open the chat again to get a fresh link.' }],
  ['external_auth_disabled', { title: 'Sign-in by link is turned off', body: 'This chat does not accept sign-in links yet. Your administrator needs to enable external authentication.' }],
  ['user_not_found', { title: 'No account found', body: 'There is no chat account for you yet. Contact your administrator.' }],
  ['email_conflict', { title: 'Email address already in use', body: 'Your email address already belongs to another chat account, so a new one cannot be created. Contact your administrator.' }],
  ['seat_limit_reached', { title: 'This chat is full', body: 'Every seat on this chat instance is taken, so no new account can be created. Contact your administrator to free a seat or raise the limit.' }],
  ['user_deactivated', { title: 'Account deactivated', body: 'Your chat account has been deactivated. Contact your administrator if you think this is a mistake.' }],
  ['link_used', { title: 'This link has already been used', body: 'One-time links work once. Ask for a new one: an owner can run <code>npm run parley -- admin sign-in-link --email you@example.com</code> on the server.' }],
  ['link_invalid', { title: 'This link is not valid', body: 'Check that you copied the whole link from the server log or the command output, or ask for a new one.' }],
  ['email_code_expired', { title: 'This sign-in link has expired', body: 'Sign-in links from an email work once, for 15 minutes, and only the newest one. Ask for a new email from the chat.' }],
  ['email_sign_in_disabled', { title: 'Sign-in by email is turned off', body: 'This chat no longer accepts sign-in by email. Contact your administrator.' }],
  ['rate_limited', { title: 'Too many attempts', body: 'Too many sign-in attempts came from here. Wait a minute and try again.' }],
  ['session_invalid', { title: 'This sign-in has ended', body: 'This sign-in was already completed, or waited too long. Open the chat again from the product you came from.' }],
  ['csrf_rejected', { title: 'Request from another site', body: 'This request did not come from the chat itself, so nothing was changed. Open the chat again from the product you came from.' }],
]);

const FALLBACK: Explanation = { title: 'Something went wrong', body: 'The chat could not be opened. Try again in a moment.' };

/**
 * The shell of Parley's own static pages (the error page, the account-switch question): no script, its one
 * stylesheet, a `main.error` tagged with `data-code`. `title` is plain text; `content` is HTML the caller
 * has escaped.
 */
export function staticPageHtml(page: { title: string; code: string; referrer: 'no-referrer' | 'same-origin' | 'strict-origin'; content: string }): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="${page.referrer}">
<link rel="icon" href="data:,">
<title>${page.title} · Parley</title>
<link rel="stylesheet" href="/assets/error.css">
</head>
<body>
<main class="error" data-code="${page.code}">
${page.content}
</main>
</body>
</html>
`;
}

export function errorPageHtml(code: ErrorCode): string {
  const { title, body } = EXPLANATIONS.get(code) ?? FALLBACK;
  return staticPageHtml({ title, code, referrer: 'no-referrer', content: `<h1>${title}</h1>\n<p>${body}</p>\n<p class="code">Error code: <code>${code}</code></p>` });
}

/**
 * The page a set-up link opens: it asks for the owner's name and email (the email the link names, if it
 * names one, is shown and kept), so that the owner is known by name in the inbox and can get a sign-in link
 * later (`parley admin sign-in-link --email`). Static HTML, no script; what the visitor typed is escaped.
 */
import { ADMIN_LINK_PATH } from '../../admin/admin-links.js';
import { staticPageHtml } from './error-page.js';

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export interface OwnerSetupForm {
  token: string;
  /** The email the link is for, shown read-only; null when the owner gives theirs. */
  fixedEmail: string | null;
  name?: string;
  email?: string;
  /** What to correct, shown above the form. */
  problem?: string;
}

export function ownerSetupPageHtml(form: OwnerSetupForm): string {
  const email = form.fixedEmail ?? form.email ?? '';
  const content = `<h1>Set up Parley</h1>
<p>You are about to become the owner of this Parley instance. Your name is shown on your answers; your email lets you get a new sign-in link later.</p>
${form.problem ? `<p class="problem" role="alert">${escapeHtml(form.problem)}</p>\n` : ''}<form method="post" action="${ADMIN_LINK_PATH}">
<input type="hidden" name="token" value="${escapeHtml(form.token)}">
<label for="owner-name">Your name</label>
<input id="owner-name" name="name" autocomplete="name" required maxlength="100" value="${escapeHtml(form.name ?? '')}">
<label for="owner-email">Email</label>
<input id="owner-email" name="email" type="email" autocomplete="email" required maxlength="320" value="${escapeHtml(email)}"${form.fixedEmail ? ' readonly' : ''}>
<button type="submit">Become the owner</button>
</form>`;
  // same-origin: the form posts with this page's origin, which the post requires; no other site hears of the link.
  return staticPageHtml({ title: 'Set up Parley', code: 'owner_setup', referrer: 'same-origin', content });
}

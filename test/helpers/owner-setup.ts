/**
 * Becoming the owner through a set-up link as a browser does: the link's page asks for a name and email,
 * and the form's POST signs the owner in (routes/pages/owner-setup.ts).
 */
import type { FastifyInstance } from 'fastify';
import type { Page } from 'playwright-core';

export const OWNER = { name: 'Olga Owner', email: 'olga@example.com' };

/** Posts the set-up form of the link at `path` (a path with its `?token=`); answers the response. */
export async function submitOwnerSetup(app: FastifyInstance, path: string, fields: { name?: string; email?: string } = OWNER) {
  const token = new URL(path, 'http://x').searchParams.get('token') ?? '';
  return app.inject({
    method: 'POST',
    url: '/admin/setup',
    // As a browser posts the form of Parley's own page.
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: new URL(app.publicUrl.value).origin, 'sec-fetch-site': 'same-origin' },
    payload: new URLSearchParams({ token, ...fields }).toString(),
  });
}

/** Opens the set-up link in the browser, fills in the form and waits for the admin panel. */
export async function becomeOwnerInBrowser(page: Page, link: string, fields: { name: string; email: string } = OWNER) {
  await page.goto(link);
  await page.getByLabel('Your name').fill(fields.name);
  const email = page.getByLabel('Email');
  if ((await email.getAttribute('readonly')) === null) await email.fill(fields.email);
  await Promise.all([page.waitForURL((url) => url.pathname === '/admin'), page.getByRole('button', { name: 'Become the owner' }).click()]);
}

// @vitest-environment happy-dom
/**
 * The admin panel's downloads (docs/admin-api.md, Exports): the customer panel offers the open conversation's
 * transcript as JSON and text, the Users page an account's data, each a plain link that the panel's session
 * cookie authenticates.
 */
import { describe, expect, it } from 'vitest';
import { ADMIN, COUNTS, conversation, dom, withAdminPage, message, ok, serve } from './admin-fake.js';

let d: ReturnType<typeof dom>;
withAdminPage((page) => ({ d } = page));

const links = (selector: string) => d.all<HTMLAnchorElement>(selector).map((a) => [a.getAttribute('aria-label'), a.getAttribute('href'), a.getAttribute('download')]);

describe('exports in the admin panel', () => {
  it('the customer panel links the open conversation’s transcript as JSON and as text', async () => {
    const fromAlice = message('msg_1', 'cnv_a', 'Where is my refund?', '2026-03-01T10:05:00.000Z');
    serve({
      'GET /api/v1/admin/conversations': () => ok({ conversations: [conversation('cnv_a', fromAlice)], nextCursor: null, counts: COUNTS }),
      'GET /api/v1/admin/conversations/cnv_a/messages': () => ok({ messages: [fromAlice], hasMore: false }),
    });
    await d.mount('#/inbox/cnv_a');
    expect(links('details.customer p.transcript a')).toEqual([
      ['Download transcript as JSON', '/api/v1/admin/conversations/cnv_a/export?format=json', 'conversation-cnv_a.json'],
      ['Download transcript as text', '/api/v1/admin/conversations/cnv_a/export?format=txt', 'conversation-cnv_a.txt'],
    ]);
  });

  it('the Users page links each account’s data export, one’s own included', async () => {
    const bea = { id: 'usr_bea', externalId: null, email: 'bea@example.com', name: 'Bea Agent', avatarUrl: null, role: 'admin', organizationId: 'default', createdAt: ADMIN.createdAt, active: true, createdVia: 'admin', lastSeenAt: null };
    serve({ 'GET /api/v1/admin/users': () => ok({ users: [{ ...ADMIN, active: true, createdVia: 'owner_link', lastSeenAt: null }, bea], nextCursor: null, total: 2 }) });
    await d.mount('#/users');
    expect(links('table.users td.actions a')).toEqual([
      ['Export data of Ada Admin', '/api/v1/admin/users/usr_ada/export', 'user-usr_ada.json'],
      ['Export data of Bea Agent', '/api/v1/admin/users/usr_bea/export', 'user-usr_bea.json'],
    ]);
  });
});

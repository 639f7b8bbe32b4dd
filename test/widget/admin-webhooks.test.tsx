// @vitest-environment happy-dom
/**
 * The Webhooks page (endpoints listed, created with their secret shown once, enabled and disabled, their
 * events changed, their secret rotated, deleted after asking, and each one's delivery log with Resend and
 * paging), Settings › Email and the Profile's agent-email switch, against a fake admin server.
 */
import { describe, expect, it, vi } from 'vitest';
import type { WebhookDelivery, WebhookEndpoint } from '../../widget/src/admin/api.js';
import { click as clickOnce } from '../helpers/dom.js';
import { PROFILE, T0, callsTo, dom, withAdminPage, fail, input, ok, serve, until, type Handler } from './admin-fake.js';

let container: HTMLElement;
let d: ReturnType<typeof dom>;
withAdminPage((page) => ({ container, d } = page));
const click = (el: HTMLElement) => clickOnce(el, 2);
const check = async (label: string) => click(d.control(label));

const endpoint = (id: string, fields: Partial<WebhookEndpoint> = {}): WebhookEndpoint => ({
  id,
  url: `https://hooks.example.com/${id}`,
  description: null,
  events: ['message.created'],
  enabled: true,
  createdAt: T0,
  updatedAt: T0,
  failingSince: null,
  disabledReason: null,
  ...fields,
});
const delivery = (id: string, fields: Partial<WebhookDelivery> = {}): WebhookDelivery => ({
  id,
  type: 'message.created',
  status: 'done',
  attempts: 1,
  createdAt: T0,
  nextAttemptAt: null,
  lastError: null,
  tries: [{ at: T0, statusCode: 204, durationMs: 12, error: null }],
  ...fields,
});
const card = (id: string) => d.q(`[data-webhook-id="${id}"]`)!;
const secretField = () => d.q<HTMLInputElement>('.secret input');
/** The checkbox of event `type` in `scope` (the new endpoint's form and each endpoint's both have one). */
const box = (scope: Element, type: string) => [...scope.querySelectorAll('label')].find((l) => d.text(l) === type)!.querySelector('input')!;

describe('webhooks', () => {
  it('is in the navigation; lists each endpoint with its events, state, failure and the reason Parley disabled it', async () => {
    serve({
      'GET /api/v1/admin/webhooks': () =>
        ok({
          endpoints: [
            endpoint('wh_1', { description: 'CRM sync', events: ['conversation.created', 'message.created'] }),
            endpoint('wh_2', { enabled: false, failingSince: '2026-02-20T08:00:00.000Z', disabledReason: 'Every delivery failed for 5 days' }),
          ],
        }),
    });
    await d.mount('#/webhooks');
    expect(d.all('nav a').map((a) => d.text(a))).toContain('Webhooks');
    expect(d.text(d.q('main h1'))).toBe('Webhooks');
    expect(d.all('.webhook h3').map((h) => d.text(h))).toEqual(['https://hooks.example.com/wh_1', 'https://hooks.example.com/wh_2']);
    expect(d.text(card('wh_1'))).toContain('CRM sync');
    expect(d.text(card('wh_1').querySelector('[data-testid=webhook-events]'))).toBe('conversation.created, message.created');
    expect(d.text(card('wh_1').querySelector('.badge'))).toBe('Active');
    expect(d.text(card('wh_2').querySelector('.badge'))).toBe('Disabled');
    expect(d.text(card('wh_2'))).toContain('Failing since');
    expect(d.text(card('wh_2'))).toContain('Disabled by Parley: Every delivery failed for 5 days');
    expect(d.button('Enable', card('wh_2'))).toBeTruthy();
  });

  it('creates an endpoint with the events chosen and shows its secret once, with Copy; an API error is announced by its message', async () => {
    const copied: string[] = [];
    vi.stubGlobal('navigator', { ...navigator, clipboard: { writeText: async (text: string) => void copied.push(text) } });
    let endpoints: WebhookEndpoint[] = [];
    serve({
      'GET /api/v1/admin/webhooks': () => ok({ endpoints }),
      'POST /api/v1/admin/webhooks': (call) => {
        const body = call.body as { url: string; events: string[]; description?: string };
        if (body.url.includes('10.0.0.1')) return { status: 400, body: { error: { code: 'webhook_url_private', message: 'url resolves to a private address' } } };
        if (body.url === 'https://bad.example.com/x') return { status: 400, body: { error: { code: 'bad_request', message: 'description must not contain control characters' } } };
        const made = endpoint('wh_new', { url: body.url, events: body.events, description: body.description ?? null });
        endpoints = [made];
        return { status: 201, body: { endpoint: made, secret: 'whsec_c2VjcmV0LXNob3duLW9uY2U=' } };
      },
    });
    await d.mount('#/webhooks');
    expect(d.text(d.q('.empty'))).toBe('No endpoints yet.');

    await input(d.control('Endpoint URL'), 'https://hooks.example.com/parley');
    await click(d.button('Create endpoint'));
    expect(d.alerts()).toContain('Choose at least one event.');
    expect(callsTo('POST', '/api/v1/admin/webhooks')).toEqual([]);

    await check('message.created');
    await check('conversation.created');
    await input(d.control('Description'), '  CRM ');
    await input(d.control('Endpoint URL'), 'http://10.0.0.1/hook');
    await click(d.button('Create endpoint'));
    expect(d.alerts()).toEqual(['This URL is on a private or local address, which Parley does not send to (unless PARLEY_WEBHOOKS_ALLOW_PRIVATE=true).']);
    expect(container.querySelector('[role=alert]')!.closest('[aria-live], [role=alert]')).not.toBeNull();
    await input(d.control('Endpoint URL'), 'https://bad.example.com/x');
    await click(d.button('Create endpoint'));
    expect(d.alerts()).toEqual(['Not accepted: description must not contain control characters']);
    expect(secretField()).toBeNull();

    await input(d.control('Endpoint URL'), 'https://hooks.example.com/parley');
    await click(d.button('Create endpoint'));
    expect(callsTo('POST', '/api/v1/admin/webhooks').at(-1)!.body).toEqual({ url: 'https://hooks.example.com/parley', events: ['conversation.created', 'message.created'], description: 'CRM' });
    expect(d.statuses()).toContain('Endpoint https://hooks.example.com/parley created.');
    expect(secretField()!.value).toBe('whsec_c2VjcmV0LXNob3duLW9uY2U=');
    expect(secretField()!.readOnly).toBe(true);
    expect(d.text(d.q('.secret .warning'))).toMatch(/^Copy this signing secret now: you will not see it again\./);
    expect(d.all('.webhook h3').map((h) => d.text(h))).toEqual(['https://hooks.example.com/parley']);
    // The form is empty again for the next one.
    expect(d.control('Endpoint URL').value).toBe('');
    expect(d.control('message.created').checked).toBe(false);

    await click(d.button('Copy the signing secret'));
    expect(copied).toEqual(['whsec_c2VjcmV0LXNob3duLW9uY2U=']);
    await click(d.button('Done'));
    expect(secretField()).toBeNull();
    expect(container.textContent).not.toContain('whsec_');
  });

  it('disables and enables, changes the events, rotates the secret (shown once) and deletes after asking', async () => {
    let current = endpoint('wh_1', { events: ['message.created'] });
    serve({
      'GET /api/v1/admin/webhooks': () => ok({ endpoints: [current] }),
      'PATCH /api/v1/admin/webhooks/wh_1': (call) => {
        current = { ...current, ...(call.body as Partial<WebhookEndpoint>) };
        return ok({ endpoint: current });
      },
      'POST /api/v1/admin/webhooks/wh_1/rotate-secret': () => ok({ secret: 'whsec_bmV3LXNlY3JldA==' }),
      'DELETE /api/v1/admin/webhooks/wh_1': () => ({ status: 204 }),
    });
    await d.mount('#/webhooks');
    await click(d.button('Disable', card('wh_1')));
    expect(callsTo('PATCH', '/api/v1/admin/webhooks/wh_1').map((c) => c.body)).toEqual([{ enabled: false }]);
    expect(d.text(card('wh_1').querySelector('.badge'))).toBe('Disabled');
    expect(d.statuses()).toContain('Disabled: nothing new is sent to it.');
    await click(d.button('Enable', card('wh_1')));
    expect(d.text(card('wh_1').querySelector('.badge'))).toBe('Active');

    await click(d.button('Edit events', card('wh_1')));
    expect(box(card('wh_1'), 'message.created').checked).toBe(true);
    await click(box(card('wh_1'), 'message.created'));
    expect(d.button('Save events').disabled).toBe(true);
    await click(box(card('wh_1'), 'user.created'));
    await click(box(card('wh_1'), 'message.deleted'));
    await click(d.button('Save events'));
    expect(callsTo('PATCH', '/api/v1/admin/webhooks/wh_1').at(-1)!.body).toEqual({ events: ['message.deleted', 'user.created'] });
    expect(d.text(card('wh_1').querySelector('[data-testid=webhook-events]'))).toBe('message.deleted, user.created');

    await click(d.button('Rotate secret', card('wh_1')));
    expect(callsTo('POST', '/api/v1/admin/webhooks/wh_1/rotate-secret')).toEqual([]);
    await click(d.button('Rotate secret', d.q('.confirm')!));
    expect(secretField()!.value).toBe('whsec_bmV3LXNlY3JldA==');
    expect(d.text(d.q('.secret .warning'))).toContain('you will not see it again');
    await click(d.button('Done'));
    expect(secretField()).toBeNull();

    await click(d.button('Delete', card('wh_1')));
    expect(d.text(d.q('.confirm'))).toContain('Delete https://hooks.example.com/wh_1?');
    await click(d.button('Cancel'));
    expect(callsTo('DELETE', '/api/v1/admin/webhooks/wh_1')).toEqual([]);
    await click(d.button('Delete', card('wh_1')));
    await click(d.button('Delete', d.q('.confirm')!));
    expect(callsTo('DELETE', '/api/v1/admin/webhooks/wh_1')).toHaveLength(1);
    expect(d.q('[data-webhook-id="wh_1"]')).toBeNull();
    expect(d.text(d.q('[data-testid=webhooks-said]'))).toBe('Deleted https://hooks.example.com/wh_1.');
  });

  it('shows the delivery log newest first with each try, resends one, and pages by nextCursor', async () => {
    const pages: Record<string, Handler> = {
      'GET /api/v1/admin/webhooks': () => ok({ endpoints: [endpoint('wh_1')] }),
      'GET /api/v1/admin/webhooks/wh_1/deliveries': (call) =>
        call.query.get('cursor') === '17'
          ? ok({ deliveries: [delivery('msg_old', { type: 'conversation.created' })], nextCursor: null })
          : ok({
              deliveries: [
                delivery('msg_2', {
                  status: 'pending',
                  attempts: 2,
                  nextAttemptAt: '2026-03-01T10:05:00.000Z',
                  lastError: 'HTTP 500',
                  tries: [
                    { at: '2026-03-01T10:00:05.000Z', statusCode: 500, durationMs: 35, error: 'HTTP 500' },
                    { at: '2026-03-01T10:00:00.000Z', statusCode: null, durationMs: 15000, error: 'timed out' },
                  ],
                }),
                delivery('msg_1'),
              ],
              nextCursor: '17',
            }),
      'POST /api/v1/admin/webhooks/wh_1/deliveries/msg_2/resend': () => ({ status: 202, body: { delivery: delivery('msg_2', { status: 'pending', attempts: 0, tries: [], nextAttemptAt: T0, lastError: null }) } }),
    };
    serve(pages);
    await d.mount('#/webhooks');
    const logButton = d.button('Delivery log', card('wh_1'));
    expect(logButton.getAttribute('aria-expanded')).toBe('false');
    await click(logButton);
    expect(logButton.getAttribute('aria-expanded')).toBe('true');
    const rows = () => d.all('[data-delivery-id]');
    expect(rows().map((r) => r.getAttribute('data-delivery-id'))).toEqual(['msg_2', 'msg_1']);
    const [failing, done] = rows();
    expect(d.text(failing!.querySelector('th'))).toBe('message.created');
    expect(d.text(failing!.querySelector('[data-testid=delivery-status]'))).toMatch(/^Pending \(next try .+\)$/);
    expect(d.text(failing!)).toContain('HTTP 500');
    expect([...failing!.querySelectorAll('.tries li')].map((li) => d.text(li)!.split(' · ').slice(0, 2).join(' · '))).toEqual(['500 · 35 ms', 'no answer · 15000 ms']);
    expect(d.text(done!.querySelector('[data-testid=delivery-status]'))).toBe('Delivered');

    await click(d.button('Resend message.created (msg_2)'));
    expect(callsTo('POST', '/api/v1/admin/webhooks/wh_1/deliveries/msg_2/resend')).toHaveLength(1);
    expect(d.statuses()).toContain('message.created sent again.');
    expect(d.text(rows()[0]!)).toContain('None yet');
    expect(rows()[0]!.querySelector('.tries')).toBeNull();

    await click(d.button('Load more'));
    expect(callsTo('GET', '/api/v1/admin/webhooks/wh_1/deliveries').at(-1)!.query.get('cursor')).toBe('17');
    expect(rows().map((r) => r.getAttribute('data-delivery-id'))).toEqual(['msg_2', 'msg_1', 'msg_old']);
    expect(d.all('button').map((b) => d.text(b))).not.toContain('Load more');
  });

  it('a failed resend is announced by its message', async () => {
    serve({
      'GET /api/v1/admin/webhooks': () => ok({ endpoints: [endpoint('wh_1')] }),
      'GET /api/v1/admin/webhooks/wh_1/deliveries': () => ok({ deliveries: [delivery('msg_1')], nextCursor: null }),
      'POST /api/v1/admin/webhooks/wh_1/deliveries/msg_1/resend': () => fail(404, 'webhook_not_found'),
    });
    await d.mount('#/webhooks');
    await click(d.button('Delivery log'));
    await click(d.button('Resend message.created (msg_1)'));
    expect(d.alerts()).toEqual(['This webhook endpoint no longer exists. Reload the page.']);
  });
});

const SETTINGS = (smtp: { value: string | null; locked?: boolean }, mailFrom: string | null = null) => [
  { name: 'seatLimit', variable: 'PARLEY_SEAT_LIMIT', value: 5, locked: false },
  { name: 'smtpUrl', variable: 'PARLEY_SMTP_URL', value: smtp.value, locked: smtp.locked ?? false },
  { name: 'mailFrom', variable: 'PARLEY_MAIL_FROM', value: mailFrom, locked: false },
];

describe('settings › email', () => {
  it('shows the SMTP URL as the API answers it beside an empty field, which leaves it unchanged; saves Mail From; sends a test email', async () => {
    let body = { settings: SETTINGS({ value: 'smtp://mailer:••••@smtp.example.com:587' }), email: { enabled: true } };
    serve({
      'GET /api/v1/admin/settings': () => ok(body),
      'PATCH /api/v1/admin/settings': (call) => {
        const patch = call.body as { smtpUrl?: string | null; mailFrom?: string | null };
        body = {
          settings: SETTINGS({ value: patch.smtpUrl === undefined ? 'smtp://mailer:••••@smtp.example.com:587' : patch.smtpUrl === null ? null : 'smtp://new:••••@mail.example.com:465' }, patch.mailFrom ?? null),
          email: { enabled: patch.smtpUrl !== null },
        };
        return ok(body);
      },
      'POST /api/v1/admin/settings/test-email': () => ({ status: 202, body: { to: 'ada@example.com' } }),
    });
    await d.mount('#/settings');
    expect(d.text(d.q('[data-testid=email-state]'))).toMatch(/^Email is on/);
    expect(d.control('SMTP URL').value).toBe('');
    expect(d.text(d.q('[data-testid=smtp-shown]'))).toBe('smtp://mailer:••••@smtp.example.com:587');

    await input(d.control('Mail From'), 'Acme <support@acme.example>');
    await click(d.button('Save email settings'));
    expect(callsTo('PATCH', '/api/v1/admin/settings').map((c) => c.body)).toEqual([{ mailFrom: 'Acme <support@acme.example>' }]);
    expect(d.statuses()).toContain('Saved.');
    expect(d.control('Mail From').value).toBe('Acme <support@acme.example>');

    await input(d.control('SMTP URL'), 'smtps://new:secret@mail.example.com:465');
    await click(d.button('Save email settings'));
    expect(callsTo('PATCH', '/api/v1/admin/settings').at(-1)!.body).toEqual({ smtpUrl: 'smtps://new:secret@mail.example.com:465' });
    expect(d.control('SMTP URL').value).toBe('');
    expect(d.text(d.q('[data-testid=smtp-shown]'))).toBe('smtp://new:••••@mail.example.com:465');
    expect(container.textContent).not.toContain('secret@');

    await click(d.button('Send a test email'));
    expect(callsTo('POST', '/api/v1/admin/settings/test-email')).toHaveLength(1);
    expect(d.statuses()).toContain('Sent to ada@example.com.');

    await click(d.button('Remove SMTP server'));
    await click(d.button('Remove SMTP server', d.q('.confirm')!));
    expect(callsTo('PATCH', '/api/v1/admin/settings').at(-1)!.body).toEqual({ smtpUrl: null });
    expect(d.text(d.q('[data-testid=email-state]'))).toBe('Email is off: no SMTP server is configured, so Parley sends no email.');
  });

  it('says email is off while no SMTP server is set, shows a locked SMTP URL read-only, and announces a failed test email', async () => {
    serve({
      'GET /api/v1/admin/settings': () => ok({ settings: SETTINGS({ value: null, locked: true }), email: { enabled: false } }),
      'POST /api/v1/admin/settings/test-email': () => ({ status: 400, body: { error: { code: 'bad_request', message: 'Email is off: set PARLEY_SMTP_URL or smtpUrl first.' } } }),
    });
    await d.mount('#/settings');
    expect(d.text(d.q('[data-testid=email-state]'))).toBe('Email is off: no SMTP server is configured, so Parley sends no email.');
    expect(d.control('SMTP URL').readOnly).toBe(true);
    expect(d.text(d.q('[data-setting=email]'))).toContain('Set by PARLEY_SMTP_URL in the environment.');
    expect(d.all('button').map((b) => d.text(b))).not.toContain('Remove SMTP server');
    await click(d.button('Send a test email'));
    expect(d.alerts()).toEqual(['Not accepted: Email is off: set PARLEY_SMTP_URL or smtpUrl first.']);
  });
});

describe('profile › agent emails', () => {
  it('turns the emails about waiting conversations off and on, and puts the switch back when the server refuses', async () => {
    let refuse = false;
    serve({
      'PATCH /api/v1/admin/profile': (call) =>
        refuse ? fail(500, 'internal_error') : ok({ profile: { ...PROFILE, preferences: { ...PROFILE.preferences, ...(call.body as object) } } }),
    });
    await d.mount('#/profile');
    const label = 'Email me about conversations waiting for an answer';
    expect(d.control(label).checked).toBe(true);
    await click(d.control(label));
    expect(callsTo('PATCH', '/api/v1/admin/profile').map((c) => c.body)).toEqual([{ agentEmails: false }]);
    await until(() => expect(d.control(label).checked).toBe(false));
    expect(d.statuses()).toContain('No more emails about waiting conversations.');
    refuse = true;
    await click(d.control(label));
    expect(d.alerts()).toEqual(['Something went wrong (internal_error). Try again.']);
    expect(d.control(label).checked).toBe(false);
    refuse = false;
    await click(d.control(label));
    expect(d.control(label).checked).toBe(true);
    expect(d.statuses()).toContain('You will be emailed about conversations waiting for an answer.');
  });
});

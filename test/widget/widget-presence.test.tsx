// @vitest-environment happy-dom
/**
 * Whether the team is online, in the embedded widget (widget/src/embed/Widget.tsx over the fake network):
 * `GET /api/v1/presence` is asked when the panel opens, not before, and again only while it is open; the
 * away text is the administrator's (the appearance's `awayText`), in the reader's language otherwise; a
 * typing event from the stream shows in the open thread.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { EVENT } from '#shared/constants.js';
import type { Emitter } from '../../widget/src/embed/js-api.js';
import { click } from '../helpers/dom.js';
import { messageFixture } from '../helpers/fixtures.js';
import { exchangeOk, jsonResponse, type FakeFetch } from '../helpers/widget-fakes.js';
import { mountWidget, newTestSession, setUpWidgetTest, tearDownWidgetTest, WAIT, type MountWidgetOptions } from '../helpers/widget-mount.js';
import { conversation } from './chat-fakes.js';

let container: HTMLElement;
let fake: FakeFetch;
let emitter: Emitter;
let online = false;

beforeEach(() => {
  online = false;
  ({ container, fake, emitter } = setUpWidgetTest({
    'POST /api/v1/auth/exchange': () => exchangeOk('sess-1'),
    'GET /api/v1/conversations': () => jsonResponse(200, { conversations: [conversation('cnv_1', 'Billing', '2026-05-01T00:00:00.000Z')], nextCursor: null }),
    'GET /api/v1/conversations/cnv_1/messages': () => jsonResponse(200, { messages: [messageFixture('msg_1', 'cnv_1', 'Hello', '2026-05-01T00:00:00.000Z', { type: 'user', id: 'usr_ana', name: 'Ana', agent: true })], hasMore: false }),
    'GET /api/v1/presence': () => jsonResponse(200, { online }),
  }));
});
afterEach(() => tearDownWidgetTest(container));

const q = (selector: string) => container.querySelector<HTMLElement>(selector);
const asked = () => fake.to('GET /api/v1/presence').length;

async function signedIn(options: MountWidgetOptions = {}) {
  const session = newTestSession(fake, emitter);
  await session.signIn('code');
  const next = fake.nextStream();
  await mountWidget(container, { session, emitter, bindControls: () => undefined }, options);
  const stream = await next;
  stream.send({ id: 1, event: 'ready' });
  return stream;
}

describe('presence in the widget', () => {
  it('is asked when the panel opens, not while it is closed; the away text is the administrator’s', async () => {
    await signedIn({ appearance: { awayText: 'Back on Monday' } });
    expect(asked()).toBe(0);
    await click(q('button.launcher')!, 2);
    await vi.waitFor(() => expect(q('.hero .presence')?.textContent).toBe('Back on Monday'), WAIT);
    expect(asked()).toBe(1);
    await click(q('.panel .close')!, 2);
    online = true;
    await click(q('button.launcher')!, 2);
    await vi.waitFor(() => expect(q('.hero .presence.on')?.textContent).toBe('Online'), WAIT);
    expect(asked()).toBe(2);
  });

  it('in Arabic: "متصل الآن", and the team typing in the open thread', async () => {
    online = true;
    const stream = await signedIn({ locale: 'ar', open: true });
    await vi.waitFor(() => expect(q('.hero .presence.on')?.textContent).toBe('متصل الآن'), WAIT);
    await click(q('ul.conversations button')!, 2);
    await vi.waitFor(() => expect(q('li.msg .author')?.textContent).toBe('Ana'), WAIT);
    expect(q('.thread .head .presence.on')?.textContent).toBe('متصل الآن');
    stream.send({ event: EVENT.typing, data: { conversationId: 'cnv_1', userId: 'usr_ana', name: 'Ana', agent: true, ttlMs: 5000 } });
    await vi.waitFor(() => expect(q('.thread .typer')?.textContent).toBe('Ana يكتب…'), WAIT);
  });
});

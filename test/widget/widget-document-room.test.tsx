// @vitest-environment happy-dom
/**
 * Document rooms in the embedded widget (docs/token-api.md, Organizations, grants, document rooms; README.md,
 * The widget): with a document id the panel opens that document's shared conversation through
 * `POST /api/v1/documents/:id/open`, an editor gets the composer, a viewer the messages live and a read-only
 * notice instead, a viewer who comes before the room exists waits and picks it up live, `document_not_found`
 * has its own message, a 403 `read_only` on a post marks the message failed with that message, and
 * `setDocument` switches between rooms and the list. A real session and Widget over a fake network
 * (test/helpers/widget-fakes.ts).
 */
import { act } from 'preact/test-utils';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Conversation, DocumentRoom } from '#shared/api.js';
import { EVENT } from '#shared/constants.js';
import { readConfig } from '../../widget/src/embed/config.js';
import type { Emitter } from '../../widget/src/embed/js-api.js';
import { createSession, type Session } from '../../widget/src/embed/session.js';
import type { WidgetControls } from '../../widget/src/embed/Widget.js';
import { pickLocale } from '../../widget/src/i18n/locales.js';
import { settle, unmount } from '../helpers/dom.js';
import { conversationFixture } from '../helpers/fixtures.js';
import { deferred, errorResponse, exchangeOk, jsonResponse, testMessage, TEST_USER, type FakeFetch, type RecordedRequest, type SseStream } from '../helpers/widget-fakes.js';
import { BASE, mountWidget, newTestSession, setUpWidgetTest, tearDownWidgetTest, WAIT } from '../helpers/widget-mount.js';

const en = pickLocale('en', []).strings;
const fr = pickLocale('fr', []).strings;
const ar = pickLocale('ar', []).strings;
const ED = { id: 'usr_ed', name: 'Ed the editor' };
const OPEN_DOC_1 = 'POST /api/v1/documents/doc-1/open';
const ROOM_ID = 'cnv_room1';

const room = (title = 'doc-1', id = ROOM_ID, documentId: string | null = title): Conversation =>
  conversationFixture(id, { organizationId: 'acme', documentId, title, createdAt: '2026-01-01T10:00:00.000Z' });
const opened = (access: DocumentRoom['access'], conversation: Conversation | null) => jsonResponse(200, { access, conversation } satisfies DocumentRoom);

let container: HTMLElement;
let fake: FakeFetch;
let emitter: Emitter;
let heard: [string, unknown][];
let controls: WidgetControls;
const bindControls = (c: WidgetControls) => (controls = c);

beforeEach(() => {
  ({ container, fake, emitter, heard } = setUpWidgetTest({
    'POST /api/v1/auth/exchange': () => exchangeOk('sess-1'),
    'GET /api/v1/conversations': () => jsonResponse(200, { conversations: [room('My own chat', 'cnv_mine', null)], nextCursor: null }),
    [`GET /api/v1/conversations/${ROOM_ID}/messages`]: () => jsonResponse(200, { messages: [testMessage('Earlier words', ED, ROOM_ID)], hasMore: false }),
  }));
});

afterEach(() => tearDownWidgetTest(container));

const q = (selector: string) => container.querySelector<HTMLElement>(selector);
const qa = (selector: string) => [...container.querySelectorAll<HTMLElement>(selector)];
const texts = () => qa('ol.messages li.msg .md').map((el) => el.textContent);
const buttons = () => qa('.panel button').map((b) => b.textContent?.trim() ?? '');
const opens = (route = OPEN_DOC_1) => fake.to(route);
const errors = () => heard.filter(([event]) => event === 'error').map(([, payload]) => payload);

/** A signed-in, open widget on `documentId`, its event stream live. */
async function mountRoom(documentId: string | null, options: { locale?: string } = {}): Promise<{ session: Session; stream: SseStream }> {
  const session = newTestSession(fake, emitter);
  await session.signIn('code');
  const next = fake.nextStream();
  await mountWidget(container, { session, emitter, bindControls }, { locale: options.locale, open: true, documentId });
  const stream = await next;
  return { session, stream };
}

const push = (stream: SseStream, id: number, event: string, data: unknown) => stream.send({ id, event, data });

describe('a document room in the widget', () => {
  it('an editor: the room opens directly with its title, messages, live updates and the composer', async () => {
    fake.on(OPEN_DOC_1, () => opened('editor', room()));
    const { stream } = await mountRoom('doc-1');
    stream.send({ id: 10, event: 'ready' });
    await vi.waitFor(() => expect(texts()).toEqual(['Earlier words']), WAIT);

    const request = opens()[0]!;
    expect(request.headers['authorization']).toBe('Bearer sess-1');
    expect(request.credentials).toBe('omit');
    expect(request.body).toBeUndefined();
    // The room alone: no conversation list, no way "back" to one.
    expect(fake.to('GET /api/v1/conversations')).toHaveLength(0);
    expect(q('nav.sidebar')).toBeNull();
    expect(q('button.back')).toBeNull();
    expect(q('.thread h3')?.textContent).toBe('doc-1');
    expect(q('.chat')?.dataset['room']).toBe('ready');
    expect(q('.chat')?.dataset['access']).toBe('editor');
    expect(q('.composer textarea')?.getAttribute('aria-label')).toBe(en.composerLabel);
    expect(buttons()).toContain(en.send);
    expect(q('.readonly')).toBeNull();

    push(stream, 11, EVENT.messageCreated, { message: testMessage('Live from Ed', ED, ROOM_ID) });
    await vi.waitFor(() => expect(texts()).toEqual(['Earlier words', 'Live from Ed']), WAIT);

    // Writing: a POST to the room's messages, shown sent.
    fake.on(`POST /api/v1/conversations/${ROOM_ID}/messages`, (r: RecordedRequest) => {
      const body = r.body as { text: string; clientMessageId: string };
      return jsonResponse(201, { message: { ...testMessage(body.text, { id: TEST_USER.id, name: 'Mia' }, ROOM_ID), clientMessageId: body.clientMessageId } });
    });
    const textarea = q('.composer textarea') as HTMLTextAreaElement;
    await act(() => {
      textarea.value = 'Mine in the room';
      textarea.dispatchEvent(new Event('input', { bubbles: true }));
    });
    await act(() => {
      (q('.composer') as HTMLFormElement).requestSubmit();
    });
    await vi.waitFor(() => expect(q('li.msg.mine')?.dataset['status']).toBe('sent'), WAIT);
    expect(fake.to(`POST /api/v1/conversations/${ROOM_ID}/messages`)[0]?.body).toMatchObject({ text: 'Mine in the room' });
    // A room already shown is not opened again on reconnects or new conversations.
    push(stream, 12, EVENT.conversationCreated, { conversation: room('Other', 'cnv_other') });
    stream.send({ id: 12, event: 'ready' });
    await settle();
    expect(opens()).toHaveLength(1);
  });

  it('a viewer: the messages live, the read-only notice instead of the composer, and never a Send button', async () => {
    fake.on(OPEN_DOC_1, () => opened('viewer', room()));
    const { stream } = await mountRoom('doc-1');
    await vi.waitFor(() => expect(texts()).toEqual(['Earlier words']), WAIT);
    expect(q('.chat')?.dataset['access']).toBe('viewer');
    expect(q('.thread h3')?.textContent).toBe('doc-1');
    const notice = q('.readonly');
    expect(notice?.textContent).toBe('You can read this conversation but not write in it.');
    expect(notice?.textContent).toBe(en.readOnly);
    expect(notice?.getAttribute('role')).toBe('note');
    expect(q('.composer')).toBeNull();
    expect(q('textarea')).toBeNull();
    expect(buttons()).not.toContain(en.send);
    expect(qa('button[type=submit]')).toHaveLength(0);

    push(stream, 11, EVENT.messageCreated, { message: testMessage('Editors write, viewers read', ED, ROOM_ID) });
    await vi.waitFor(() => expect(texts()).toEqual(['Earlier words', 'Editors write, viewers read']), WAIT);
    expect(q('.composer')).toBeNull();
    expect(buttons()).not.toContain(en.send);
  });

  it('a viewer of an empty room is told there are no messages in the document yet', async () => {
    fake.on(OPEN_DOC_1, () => opened('viewer', room()));
    fake.on(`GET /api/v1/conversations/${ROOM_ID}/messages`, () => jsonResponse(200, { messages: [], hasMore: false }));
    await mountRoom('doc-1');
    await vi.waitFor(() => expect(q('ol.messages li.empty')?.textContent).toBe(en.documentEmpty), WAIT);
    expect(en.documentEmpty).toBe('No messages in this document yet.');
  });

  it('a viewer before the room exists waits, then picks it up live when an editor creates it', async () => {
    let created = false;
    fake.on(OPEN_DOC_1, () => opened('viewer', created ? room() : null));
    const { stream } = await mountRoom('doc-1');
    stream.send({ id: 10, event: 'ready' });
    await vi.waitFor(() => expect(q('.chat')?.dataset['room']).toBe('waiting'), WAIT);
    await settle();
    const waiting = q('.thread .placeholder');
    expect(waiting?.textContent).toBe('No messages in this document yet.');
    expect(waiting?.getAttribute('role')).toBe('status');
    expect(q('.composer')).toBeNull();
    expect(q('.readonly')).toBeNull();
    expect(buttons()).not.toContain(en.send);
    const before = opens().length;

    // An editor opens the document: its conversation.created reaches the viewer (the event names no document).
    created = true;
    push(stream, 11, EVENT.conversationCreated, { conversation: room() });
    await vi.waitFor(() => expect(texts()).toEqual(['Earlier words']), WAIT);
    expect(opens()).toHaveLength(before + 1);
    expect(q('.thread h3')?.textContent).toBe('doc-1');
    expect(q('.readonly')?.textContent).toBe(en.readOnly);
    expect(q('.composer')).toBeNull();
    // The room was not added as a "conversation" of some list: there is none.
    expect(q('nav.sidebar')).toBeNull();

    push(stream, 12, EVENT.messageCreated, { message: testMessage('First live words', ED, ROOM_ID) });
    await vi.waitFor(() => expect(texts()).toEqual(['Earlier words', 'First live words']), WAIT);
  });

  it('a viewer waiting asks again when the stream reconnects (a creation may have happened while it was down)', async () => {
    let created = false;
    fake.on(OPEN_DOC_1, () => opened('viewer', created ? room() : null));
    const { stream } = await mountRoom('doc-1');
    await vi.waitFor(() => expect(q('.chat')?.dataset['room']).toBe('waiting'), WAIT);
    created = true;
    stream.send({ id: 20, event: 'ready' });
    await vi.waitFor(() => expect(texts()).toEqual(['Earlier words']), WAIT);
  });

  it('a "no room yet" answer that crossed the stream going live is checked once more', async () => {
    const first = deferred<Response>();
    let calls = 0;
    fake.on(OPEN_DOC_1, () => (++calls === 1 ? first.promise : opened('viewer', room())));
    const { stream } = await mountRoom('doc-1');
    // The stream goes live while the first open is in flight; that open then answers "no room yet".
    stream.send({ id: 10, event: 'ready' });
    await settle();
    expect(calls).toBe(1);
    first.resolve(opened('viewer', null));
    await vi.waitFor(() => expect(texts()).toEqual(['Earlier words']), WAIT);
    expect(calls).toBe(2);
  });

  it('no grant on the document: its own localized message, an error event, nothing else', async () => {
    fake.on(OPEN_DOC_1, () => errorResponse(404, 'document_not_found', 'Document not found.'));
    await mountRoom('doc-1');
    await vi.waitFor(() => expect(q('[data-code=document_not_found]')).not.toBeNull(), WAIT);
    const alert = q('[data-code=document_not_found]')!;
    expect(alert.getAttribute('role')).toBe('alert');
    expect(alert.textContent).toBe('You have no access to this document.');
    expect(q('.composer')).toBeNull();
    expect(q('ol.messages')).toBeNull();
    expect(q('nav.sidebar')).toBeNull();
    // The error event follows the alert's render: wait for it rather than assume the same turn.
    await vi.waitFor(() => expect(errors()).toEqual([{ code: 'document_not_found', message: en.documentNotFound }]), WAIT);
  });

  it('speaks French and Arabic in a room', async () => {
    fake.on(OPEN_DOC_1, () => errorResponse(404, 'document_not_found'));
    await mountRoom('doc-1', { locale: 'fr' });
    await vi.waitFor(() => expect(q('[data-code=document_not_found]')?.textContent).toBe('Vous n’avez pas accès à ce document.'), WAIT);
    await unmount(container);

    fake.on(OPEN_DOC_1, () => opened('viewer', room()));
    await mountRoom('doc-1', { locale: 'ar' });
    await vi.waitFor(() => expect(q('.readonly')?.textContent).toBe(ar.readOnly), WAIT);
    expect(q('.panel')?.getAttribute('dir')).toBe('rtl');
    for (const strings of [fr, ar]) {
      for (const key of ['readOnly', 'documentEmpty', 'documentNotFound'] as const) {
        expect(strings[key], key).not.toBe(en[key]);
        expect(strings[key].length, key).toBeGreaterThan(10);
      }
    }
  });

  it('another failure to open shows the generic message, not the no-access one', async () => {
    fake.on(OPEN_DOC_1, () => errorResponse(500, 'internal_error'));
    await mountRoom('doc-1');
    await vi.waitFor(() => expect(q('[data-code=internal_error]')?.textContent).toBe(en.errorGeneric), WAIT);
  });

  it('a 403 read_only on a post marks the message failed with the read-only message, and the composer gives way to the notice', async () => {
    // An editor whose grant became viewer since the room was opened.
    fake.on(OPEN_DOC_1, () => opened('editor', room()));
    fake.on(`POST /api/v1/conversations/${ROOM_ID}/messages`, () => errorResponse(403, 'read_only', 'You can only read this conversation.'));
    await mountRoom('doc-1');
    await vi.waitFor(() => expect(q('.composer textarea')).not.toBeNull(), WAIT);
    const textarea = q('.composer textarea') as HTMLTextAreaElement;
    await act(() => {
      textarea.value = 'Can I still write?';
      textarea.dispatchEvent(new Event('input', { bubbles: true }));
    });
    await act(() => {
      textarea.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true }));
    });
    await vi.waitFor(() => expect(q('li.msg.mine')?.dataset['status']).toBe('failed'), WAIT);
    const state = q('li.msg.mine .state.failed')!;
    expect(state.dataset['code']).toBe('read_only');
    expect(state.textContent).toBe(en.readOnly);
    expect(state.getAttribute('role')).toBe('alert');
    // Retrying cannot help: no retry button; and no composer any more.
    expect(q('li.msg.mine button.retry')).toBeNull();
    expect(q('.composer')).toBeNull();
    expect(q('.readonly')?.textContent).toBe(en.readOnly);
  });

  it('other failed posts still say "Not sent." with a retry', async () => {
    fake.on(OPEN_DOC_1, () => opened('editor', room()));
    fake.on(`POST /api/v1/conversations/${ROOM_ID}/messages`, () => errorResponse(500, 'internal_error'));
    await mountRoom('doc-1');
    await vi.waitFor(() => expect(q('.composer textarea')).not.toBeNull(), WAIT);
    const textarea = q('.composer textarea') as HTMLTextAreaElement;
    await act(() => {
      textarea.value = 'Flaky';
      textarea.dispatchEvent(new Event('input', { bubbles: true }));
    });
    await act(() => {
      (q('.composer') as HTMLFormElement).requestSubmit();
    });
    await vi.waitFor(() => expect(q('li.msg.mine .state.failed')?.textContent).toContain(en.failed), WAIT);
    expect(q('li.msg.mine button.retry')?.textContent).toBe(en.retry);
    expect(q('.composer')).not.toBeNull();
  });
});

describe('setDocument', () => {
  it('the conversation list leaves document rooms out: they belong to their document', async () => {
    fake.on('GET /api/v1/conversations', () => jsonResponse(200, { conversations: [room('My own chat', 'cnv_mine', null), room()], nextCursor: null }));
    await mountRoom(null);
    await vi.waitFor(() => expect(q('[data-conversation-id=cnv_mine]')).not.toBeNull(), WAIT);
    expect(q(`[data-conversation-id=${ROOM_ID}]`)).toBeNull();
  });

  it('switches from the conversation list to a room, to another room, and back to the list with null', async () => {
    fake.on(OPEN_DOC_1, () => opened('viewer', room()));
    fake.on('POST /api/v1/documents/doc%202%2F%C3%BC/open', () => opened('editor', room('doc 2/ü', 'cnv_room2')));
    fake.on('GET /api/v1/conversations/cnv_room2/messages', () => jsonResponse(200, { messages: [testMessage('In room two', ED, 'cnv_room2')], hasMore: false }));
    await mountRoom(null);
    await vi.waitFor(() => expect(q('[data-conversation-id=cnv_mine]')).not.toBeNull(), WAIT);
    expect(q('.hero')).not.toBeNull();
    expect(opens()).toHaveLength(0);

    await act(() => controls.setDocument('doc-1'));
    await vi.waitFor(() => expect(texts()).toEqual(['Earlier words']), WAIT);
    expect(opens()).toHaveLength(1);
    expect(q('nav.sidebar')).toBeNull();
    expect(q('.readonly')?.textContent).toBe(en.readOnly);

    await act(() => controls.setDocument('doc 2/ü'));
    await vi.waitFor(() => expect(texts()).toEqual(['In room two']), WAIT);
    expect(q('.thread h3')?.textContent).toBe('doc 2/ü');
    expect(q('.composer textarea')).not.toBeNull();
    expect(q('.readonly')).toBeNull();

    await act(() => controls.setDocument(null));
    await vi.waitFor(() => expect(q('[data-conversation-id=cnv_mine]')).not.toBeNull(), WAIT);
    expect(q('.chat')?.dataset['room']).toBeUndefined();
    expect(q('.hero')).not.toBeNull();
    // By the list each time it is shown (the panel was open at sign-in: the launcher's count waits for it).
    expect(fake.to('GET /api/v1/conversations')).toHaveLength(2);
  });

  it('a room is opened only once signed in, and not at all while the panel is closed', async () => {
    fake.on(OPEN_DOC_1, () => opened('editor', room()));
    const session = createSession({ baseUrl: BASE, fetch: fake.fetch });
    await mountWidget(container, { session, emitter, bindControls }, { documentId: 'doc-1' });
    await act(async () => {
      await session.signIn('code');
    });
    await settle();
    expect(opens()).toHaveLength(0);
    await act(() => controls.open());
    await vi.waitFor(() => expect(texts()).toEqual(['Earlier words']), WAIT);
    expect(opens()).toHaveLength(1);
  });

  it('data-document-id is read from the script tag, trimmed; absent or blank is no document', () => {
    const tag = (data: Record<string, string>) => ({ src: `${BASE}/widget.js`, dataset: data as DOMStringMap });
    expect(readConfig(tag({ documentId: ' doc-1 ' })).documentId).toBe('doc-1');
    expect(readConfig(tag({ documentId: '   ' })).documentId).toBeNull();
    expect(readConfig(tag({})).documentId).toBeNull();
  });
});


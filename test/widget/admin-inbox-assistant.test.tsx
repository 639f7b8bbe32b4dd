// @vitest-environment happy-dom
/**
 * The AI assistant in the inbox (docs/assistant.md) against a fake server and fake events: its messages
 * carry its name and the "AI assistant" mark, Parley's system messages are centred lines, its reply
 * streams into the open thread piece by piece (in order by offset; a gap or a reconnect waits for the
 * stored message, which takes the bubble's place by its clientMessageId), Stop calls the stop route, the
 * header says it is answering and Take over quiets it, and the list tags the conversations it answers.
 */
import { act } from 'preact/test-utils';
import { describe, expect, it } from 'vitest';
import type { Conversation } from '#shared/api.js';
import { EVENT } from '#shared/constants.js';
import { click as clickOnce, settle } from '../helpers/dom.js';
import { COUNTS, callsTo, conversation, dom, fail, message, ok, serve, stream, until, withAdminPage, type Handler } from './admin-fake.js';

let d: ReturnType<typeof dom>;
withAdminPage((page) => ({ d } = page));
const click = (el: HTMLElement) => clickOnce(el, 2);

const SAM = { type: 'assistant' as const, id: 'ast_sam', name: 'Sam' };
const SYSTEM = { type: 'system' as const, id: null, name: null };
const question = message('msg_1', 'cnv_a', 'Where is my refund?', '2026-03-01T10:05:00.000Z');
const earlier = { ...message('msg_2', 'cnv_a', 'Refunds take **3 days**.', '2026-03-01T10:05:02.000Z', SAM), clientMessageId: 'rpl_0' };
const handed = message('msg_3', 'cnv_a', 'The conversation was passed to the team.', '2026-03-01T10:06:00.000Z', SYSTEM);
const answering = { name: 'Sam', active: true };
const cnvA = conversation('cnv_a', question, { unanswered: true, assistant: answering });
const cnvB = conversation('cnv_b', message('msg_b', 'cnv_b', 'Hi', '2026-03-01T09:00:00.000Z', { type: 'user', id: 'usr_bob', name: 'Bob' }), { participants: [{ id: 'usr_bob', name: 'Bob' }] });

function inbox(a: typeof cnvA = cnvA, extra: Record<string, Handler> = {}) {
  serve({
    'GET /api/v1/admin/conversations': () => ok({ conversations: [a, cnvB], nextCursor: null, counts: COUNTS }),
    'GET /api/v1/admin/conversations/cnv_a/messages': () => ok({ messages: [question, earlier], hasMore: false }),
    ...extra,
  });
}

const bubble = () => d.q('[data-testid=streaming-reply]');
const bubbleText = () => d.text(bubble()?.querySelector('.streamed'));
const items = () => d.all('ol.messages > li.msg').map((li) => [li.className, d.text(li.querySelector('.author'))]);
const status = () => d.text(d.q('[data-testid=assistant-status]'));
const delta = (replyId: string, offset: number, text: string) => stream().emit(EVENT.messageDelta, { conversationId: 'cnv_a', replyId, offset, delta: text });

describe('the assistant in the thread', () => {
  it("shows the assistant's messages with its name and the AI mark, apart from the team's and the user's, and system messages as centred lines", async () => {
    serve({
      'GET /api/v1/admin/conversations': () => ok({ conversations: [{ ...cnvA, assistant: { name: 'Sam', active: false } }], nextCursor: null, counts: COUNTS }),
      'GET /api/v1/admin/conversations/cnv_a/messages': () =>
        ok({ messages: [question, earlier, handed, message('msg_4', 'cnv_a', 'I am on it', '2026-03-01T10:07:00.000Z', { type: 'user', id: 'usr_bea', name: 'Bea', agent: true })], hasMore: false }),
    });
    await d.mount('#/inbox/cnv_a');
    expect(items()).toEqual([
      ['msg theirs', 'Alice'],
      ['msg theirs assistant', 'Sam'],
      ['msg system', null],
      ['msg theirs team', 'Bea'],
    ]);
    const sam = d.q('li[data-message-id=msg_2]')!;
    expect(d.text(sam.querySelector('[data-testid=ai-mark]'))).toBe('AI assistant');
    expect(sam.querySelector('.avatar.ai')?.getAttribute('aria-hidden')).toBe('true');
    expect(sam.querySelector('strong')?.textContent).toBe('3 days');
    // Only the assistant's messages carry the mark.
    expect(d.all('[data-testid=ai-mark]')).toHaveLength(1);
    // A system line has no author, no Edit or Delete.
    const line = d.q('li.msg.system')!;
    expect(line.querySelector('.author, button')).toBeNull();
    expect(d.text(line.querySelector('p'))).toMatch(/^Parley: The conversation was passed to the team\. /);
    // Handed to the team: said in the header, no Take over.
    expect(status()).toBe('Handed to the team');
    expect(d.all('button').map((b) => d.text(b))).not.toContain('Take over');
  });

  it('streams a reply in by offset, ignores a repeated piece, and the stored message takes the bubble’s place', async () => {
    inbox();
    await d.mount('#/inbox/cnv_a');
    const source = stream();
    await source.emit(EVENT.assistantReplying, { conversationId: 'cnv_a', replyId: 'rpl_1' });
    expect(d.text(bubble()?.querySelector('.author'))).toBe('Sam');
    expect(d.text(bubble()?.querySelector('[data-testid=ai-mark]'))).toBe('AI assistant');
    expect(d.text(bubble()?.querySelector('.pending'))).toBe('…');
    // Not read out piece by piece.
    expect(bubble()?.getAttribute('aria-live')).toBe('off');
    // The list says the assistant writes.
    expect(d.text(d.q('ul.conversations a[data-conversation-id=cnv_a] .list-typing'))).toBe('Sam is writing…');

    await delta('rpl_1', 0, 'Your refund');
    expect(bubbleText()).toBe('Your refund');
    await delta('rpl_1', 11, ' left');
    await delta('rpl_1', 11, ' left'); // a repeat changes nothing
    await delta('rpl_1', 16, ' today.');
    expect(bubbleText()).toBe('Your refund left today.');
    expect(d.q('ol.messages > li:last-child')).toBe(bubble());
    // Another conversation's reply does not show here.
    await stream().emit(EVENT.messageDelta, { conversationId: 'cnv_b', replyId: 'rpl_b', offset: 0, delta: 'Elsewhere' });
    expect(d.all('[data-testid=streaming-reply]')).toHaveLength(1);

    const unanswered = () => d.q('ul.conversations a[data-conversation-id=cnv_a] .badge.unanswered');
    expect(unanswered()).not.toBeNull();
    const stored = { ...message('msg_5', 'cnv_a', 'Your refund left today.', '2026-03-01T10:08:00.000Z', SAM), clientMessageId: 'rpl_1' };
    await source.emit(EVENT.messageCreated, { message: stored });
    expect(bubble()).toBeNull();
    // The assistant answered it: no longer unanswered (as the server counts it), until a hand-off's system line.
    expect(unanswered()).toBeNull();
    expect(d.text(d.q('li[data-message-id=msg_5] .author'))).toBe('Sam');
    expect(d.all('ol.messages li.msg.assistant').length).toBe(2);
    expect(d.text(d.q('ul.conversations a[data-conversation-id=cnv_a] .list-typing'))).toBeNull();
    // A piece that comes late, and its end, after the message, change nothing more.
    await delta('rpl_1', 16, ' today.');
    expect(bubble()).toBeNull();
    await source.emit(EVENT.assistantEnded, { conversationId: 'cnv_a', replyId: 'rpl_1' });
    expect(d.all('ol.messages li.msg.assistant').length).toBe(2);
    expect(bubble()).toBeNull();
    await source.emit(EVENT.messageCreated, { message: { ...handed, createdAt: '2026-03-01T10:09:00.000Z' } });
    expect(unanswered()).not.toBeNull();
  });

  it('a piece past a gap waits for the stored message; a reconnect does too; a reply stopped before any text just ends', async () => {
    inbox();
    await d.mount('#/inbox/cnv_a');
    const source = stream();
    await source.emit(EVENT.assistantReplying, { conversationId: 'cnv_a', replyId: 'rpl_1' });
    await delta('rpl_1', 0, 'One');
    await delta('rpl_1', 10, 'gap');
    expect(bubbleText()).toBe('One');
    expect(d.text(bubble())).toContain('The rest shows when the reply is stored.');
    await delta('rpl_1', 3, ' two'); // too late: the reply waits now
    expect(bubbleText()).toBe('One');
    await source.emit(EVENT.messageCreated, { message: { ...message('msg_5', 'cnv_a', 'One two … gap', '2026-03-01T10:08:00.000Z', SAM), clientMessageId: 'rpl_1' } });
    expect(bubble()).toBeNull();

    // The stream drops mid-reply: what it shows waits, and the stored message (replayed) replaces it.
    await source.emit(EVENT.assistantReplying, { conversationId: 'cnv_a', replyId: 'rpl_2' });
    await delta('rpl_2', 0, 'Half');
    await act(() => {
      source.dispatchEvent(new Event('error'));
    });
    await settle();
    expect(d.text(d.q('p.live'))).toBe('Connection lost. Reconnecting…');
    await act(() => {
      source.dispatchEvent(new Event('open'));
    });
    await delta('rpl_2', 9, ' and more');
    expect(bubbleText()).toBe('Half');
    expect(d.text(bubble())).toContain('The rest shows when the reply is stored.');
    await source.emit(EVENT.messageCreated, { message: { ...message('msg_6', 'cnv_a', 'Half way and more', '2026-03-01T10:09:00.000Z', SAM), clientMessageId: 'rpl_2' } });
    expect(bubble()).toBeNull();

    // Heard only from its middle (the panel opened mid-reply): waiting from the start.
    await delta('rpl_3', 40, 'tail');
    expect(bubble()?.querySelector('.streamed')).toBeNull();
    expect(d.text(bubble())).toContain('The rest shows when the reply is stored.');
    await source.emit(EVENT.assistantEnded, { conversationId: 'cnv_a', replyId: 'rpl_3' });
    expect(bubble()).toBeNull();

    // Stopped before any text: no message, the end removes the bubble.
    await source.emit(EVENT.assistantReplying, { conversationId: 'cnv_a', replyId: 'rpl_4' });
    expect(bubble()).not.toBeNull();
    await source.emit(EVENT.assistantEnded, { conversationId: 'cnv_a', replyId: 'rpl_4' });
    expect(bubble()).toBeNull();
  });

  it('Stop calls the stop route; a refusal is said in the bubble', async () => {
    let answer = () => fail(404, 'conversation_not_found');
    inbox(cnvA, { 'POST /api/v1/conversations/cnv_a/assistant/stop': () => answer() });
    await d.mount('#/inbox/cnv_a');
    await stream().emit(EVENT.assistantReplying, { conversationId: 'cnv_a', replyId: 'rpl_1' });
    await delta('rpl_1', 0, 'Let me');
    await click(d.button("Stop the assistant's reply"));
    await until(() => expect(d.text(bubble()?.querySelector('[role=alert]'))).toBe('This conversation no longer exists.'));
    expect(d.button("Stop the assistant's reply").disabled).toBe(false);

    answer = () => ({ status: 204 });
    await click(d.button("Stop the assistant's reply"));
    expect(callsTo('POST', '/api/v1/conversations/cnv_a/assistant/stop')).toHaveLength(2);
    await until(() => expect(d.text(bubble()?.querySelector('.meta .state'))).toBe('stopping…'));
    expect(d.button("Stop the assistant's reply").disabled).toBe(true);
    // The server stores what was written and ends the reply.
    await stream().emit(EVENT.messageCreated, { message: { ...message('msg_5', 'cnv_a', 'Let me', '2026-03-01T10:08:00.000Z', SAM), clientMessageId: 'rpl_1' } });
    await stream().emit(EVENT.assistantEnded, { conversationId: 'cnv_a', replyId: 'rpl_1' });
    expect(bubble()).toBeNull();
    expect(d.text(d.q('li[data-message-id=msg_5] .md, li[data-message-id=msg_5] p'))).toBe('Let me');
  });
});

describe('the header and the list', () => {
  it('says the assistant is answering, Take over quiets it and says so, and the list tags it until then', async () => {
    const taken: Conversation = { ...cnvA, assistant: { name: 'Sam', active: false } };
    inbox(cnvA, { 'POST /api/v1/admin/conversations/cnv_a/take-over': () => ok({ conversation: taken }) });
    await d.mount('#/inbox/cnv_a');
    expect(status()).toBe('AI assistant answering: Sam Take over');
    const tag = d.q('ul.conversations a[data-conversation-id=cnv_a] .badge.ai');
    expect(d.text(tag)).toBe('AI');
    expect(tag?.getAttribute('title')).toBe('Answered by the AI assistant Sam');
    expect(d.q('ul.conversations a[data-conversation-id=cnv_b] .badge.ai')).toBeNull();

    await click(d.button('Take over'));
    expect(callsTo('POST', '/api/v1/admin/conversations/cnv_a/take-over')).toHaveLength(1);
    await until(() => expect(status()).toBe('Handed to the team You took over: Sam no longer answers in this conversation.'));
    expect(d.q('[data-testid=assistant-status] [role=status]')?.textContent).toBe('You took over: Sam no longer answers in this conversation.');
    expect(d.all('button').map((b) => d.text(b))).not.toContain('Take over');
    expect(d.q('ul.conversations a[data-conversation-id=cnv_a] .badge.ai')).toBeNull();
  });

  it('a refused Take over is an alert and the button stays', async () => {
    inbox(cnvA, { 'POST /api/v1/admin/conversations/cnv_a/take-over': () => fail(404, 'conversation_not_found') });
    await d.mount('#/inbox/cnv_a');
    await click(d.button('Take over'));
    await until(() => expect(d.text(d.q('[data-testid=assistant-status] [role=alert]'))).toBe('This conversation no longer exists.'));
    expect(status()).toBe('AI assistant answering: Sam Take over This conversation no longer exists.');
    expect(d.button('Take over').disabled).toBe(false);
  });

  it('keeps the assistant through live updates: a hand-off says "Handed to the team", an update without the field keeps it', async () => {
    inbox();
    await d.mount('#/inbox/cnv_a');
    // A rename (from a server that sends no assistant) keeps what is known.
    const { assistant: _dropped, ...older } = cnvA;
    await stream().emit(EVENT.conversationUpdated, { conversation: { ...older, title: 'Refund' } });
    expect(status()).toBe('AI assistant answering: Sam Take over');
    expect(d.text(d.q('ul.conversations a[data-conversation-id=cnv_a] .badge.ai'))).toBe('AI');
    // The user asked for a person: the hand-off's update and its system line.
    await stream().emit(EVENT.conversationUpdated, { conversation: { ...cnvA, assistant: { name: 'Sam', active: false } } });
    await stream().emit(EVENT.messageCreated, { message: handed });
    expect(status()).toBe('Handed to the team');
    expect(d.q('ul.conversations a[data-conversation-id=cnv_a] .badge.ai')).toBeNull();
    expect(d.text(d.q('li.msg.system p'))).toMatch(/^Parley: The conversation was passed to the team\./);
    // No assistant at all: nothing said.
    await stream().emit(EVENT.conversationUpdated, { conversation: { ...cnvA, assistant: null } });
    expect(d.q('[data-testid=assistant-status]')).toBeNull();
  });
});

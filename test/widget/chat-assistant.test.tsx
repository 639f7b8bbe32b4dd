// @vitest-environment happy-dom
/**
 * The assistant in the chat view (widget/src/chat/use-chat.ts, ChatView.tsx): its reply streams in from
 * `message.delta` events, each piece at its offset (a piece delivered twice changes nothing, a gap waits for
 * the stored message), with a Stop button; the stored message takes the streamed bubble's place; `assistant.ended`
 * without a message takes it away. "Talk to a person" shows while the assistant is active and hands the
 * conversation to the team; system messages show as such.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Conversation } from '#shared/api.js';
import { EVENT } from '#shared/constants.js';
import { addContainer, click, removeContainer } from '../helpers/dom.js';
import { conversation, fakeApi, fakeLive, message, mountChat, type FakeApi } from './chat-fakes.js';

let container: HTMLElement;
beforeEach(() => {
  container = addContainer();
});
afterEach(() => {
  removeContainer(container);
});

const q = (selector: string) => container.querySelector<HTMLElement>(selector);
const all = (selector: string) => [...container.querySelectorAll<HTMLElement>(selector)];
const buttonNamed = (name: string) => all('button').find((b) => b.textContent?.trim() === name) ?? null;
const ASSISTANT = { type: 'assistant' as const, id: 'ast_1', name: 'Robo', agent: false };

type AssistantApi = FakeApi & { handoff: ReturnType<typeof vi.fn>; stopReply: ReturnType<typeof vi.fn> };

async function open(active = true): Promise<{ api: AssistantApi; push: (type: string, data: unknown) => Promise<void>; served: Conversation }> {
  const first = message('msg_1', 'cnv_1', 'How do I reset my password?', '2026-05-01T10:00:00.000Z', { id: 'usr_me' });
  const served = { ...conversation('cnv_1', 'Password', '2026-05-01T10:00:00.000Z', first), assistant: { name: 'Robo', active } };
  const api = fakeApi([served], { cnv_1: [first] }) as AssistantApi;
  api.handoff = vi.fn(async () => ({ ...served, assistant: { name: 'Robo', active: false } }));
  api.stopReply = vi.fn(async () => undefined);
  const live = fakeLive();
  await mountChat(container, { api, compact: true, live: live.live });
  await click(all('ul.conversations button')[0]!, 2);
  return { api, push: live.push, served };
}
const delta = (offset: number, piece: string, replyId = 'rep_1') => ({ conversationId: 'cnv_1', replyId, offset, delta: piece });

describe('the assistant in the chat view', () => {
  it('streams its reply piece by piece, Stop stops it, and the stored message takes its place', async () => {
    const { api, push } = await open();
    await push(EVENT.assistantReplying, { conversationId: 'cnv_1', replyId: 'rep_1' });
    const bubble = () => q('li.msg.streaming');
    expect(bubble()?.querySelector('.author')?.textContent).toBe('Robo');
    expect(bubble()?.querySelector('.text')?.textContent).toBe('…');
    await push(EVENT.messageDelta, delta(0, 'Open **Settings**'));
    await push(EVENT.messageDelta, delta(17, ', then'));
    // Delivered twice: no change; a piece after a gap: waits.
    await push(EVENT.messageDelta, delta(0, 'Open **Settings**'));
    await push(EVENT.messageDelta, delta(40, 'lost'));
    expect(bubble()?.querySelector('.text')?.textContent).toBe('Open Settings, then');
    expect(bubble()?.querySelector('strong')?.textContent).toBe('Settings');
    expect(bubble()?.getAttribute('aria-busy')).toBe('true');
    // Another conversation's reply shows nothing here.
    await push(EVENT.messageDelta, { conversationId: 'cnv_2', replyId: 'rep_9', offset: 0, delta: 'elsewhere' });
    expect(all('li.msg.streaming')).toHaveLength(1);

    await click(buttonNamed('Stop')!);
    expect(api.stopReply).toHaveBeenCalledWith('cnv_1');
    await push(EVENT.messageCreated, { message: message('msg_2', 'cnv_1', 'Open **Settings**, then', '2026-05-01T10:00:05.000Z', ASSISTANT, 'rep_1') });
    expect(bubble()).toBeNull();
    expect(all('li.msg .author').map((a) => a.textContent)).toEqual(['You', 'Robo']);
    expect(all('li.msg .text').map((t) => t.textContent)).toEqual(['How do I reset my password?', 'Open Settings, then']);
  });

  it('a reply that ends without a message goes; a system message shows as one', async () => {
    const { push } = await open();
    await push(EVENT.assistantReplying, { conversationId: 'cnv_1', replyId: 'rep_1' });
    await push(EVENT.messageDelta, delta(0, 'Let me'));
    await push(EVENT.assistantEnded, { conversationId: 'cnv_1', replyId: 'rep_0' });
    expect(q('li.msg.streaming')).not.toBeNull();
    await push(EVENT.assistantEnded, { conversationId: 'cnv_1', replyId: 'rep_1' });
    expect(q('li.msg.streaming')).toBeNull();
    await push(EVENT.messageCreated, { message: message('msg_3', 'cnv_1', 'The assistant could not answer. A person from the team will reply.', '2026-05-01T10:00:06.000Z', { type: 'system', id: null, name: null }) });
    expect(q('li.msg.system')?.textContent).toContain('The assistant could not answer.');
  });

  it('"Talk to a person" shows while the assistant is active, and hands the conversation to the team', async () => {
    const { api } = await open();
    await click(buttonNamed('Talk to a person')!);
    expect(api.handoff).toHaveBeenCalledWith('cnv_1');
    expect(buttonNamed('Talk to a person')).toBeNull();
    removeContainer(container);
    container = addContainer();
    await open(false);
    expect(buttonNamed('Talk to a person')).toBeNull();
  });
});

describe('pieces that arrive late', () => {
  it('a piece heard after the stored reply opens no bubble again', async () => {
    const { push } = await open();
    await push(EVENT.assistantReplying, { conversationId: 'cnv_1', replyId: 'rep_1' });
    await push(EVENT.messageCreated, { message: message('msg_2', 'cnv_1', 'Done', '2026-05-01T10:00:05.000Z', ASSISTANT, 'rep_1') });
    await push(EVENT.messageDelta, delta(0, 'Done'));
    await push(EVENT.assistantReplying, { conversationId: 'cnv_1', replyId: 'rep_1' });
    expect(q('li.msg.streaming')).toBeNull();
    // The next reply streams as usual.
    await push(EVENT.messageDelta, delta(0, 'Next', 'rep_2'));
    expect(q('li.msg.streaming .text')?.textContent).toBe('Next');
  });
});

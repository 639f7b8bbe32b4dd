// @vitest-environment happy-dom
/**
 * Where a thread is scrolled (widget/src/chat/use-scroll.ts), over a fake layout of the message list (every
 * message 100 px, the list 300 px high): the newest message when opened, the user's place kept when they
 * come back (or when the hidden panel is shown again), new messages followed only from the bottom, a
 * "New messages ↓" button otherwise, and my own message always brought into view.
 */
import { act } from 'preact/test-utils';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Message } from '#shared/api.js';
import { EVENT } from '#shared/constants.js';
import { addContainer, click, removeContainer, settle } from '../helpers/dom.js';
import { conversation, fakeApi, fakeListLayout, fakeLive, message, mountChat } from './chat-fakes.js';

let container: HTMLElement;
let removeLayout: () => void;
beforeEach(() => {
  container = addContainer();
  removeLayout = fakeListLayout();
});
afterEach(() => {
  removeContainer(container);
  removeLayout();
});

const q = <E extends Element = HTMLElement>(selector: string) => container.querySelector<E & Element>(selector);
const list = () => q<HTMLOListElement>('ol.messages')!;
const jumpButton = () => [...container.querySelectorAll<HTMLButtonElement>('button')].find((b) => b.textContent === 'New messages ↓') ?? null;
const history = (n: number, conversationId = 'cnv_a') => Array.from({ length: n }, (_, i) => message(`m${i}`, conversationId, `message ${i}`, `2026-01-01T00:${String(i).padStart(2, '0')}:00.000Z`));
let seq = 0;
const fromBob = (conversationId = 'cnv_a'): Message => message(`live${++seq}`, conversationId, `live ${seq}`, `2026-06-01T00:00:${String(seq).padStart(2, '0')}.000Z`);

/** Scrolls the list as the user would: the position, then its scroll event. */
async function scrollTo(top: number) {
  await act(() => {
    list().scrollTop = top;
    list().dispatchEvent(new Event('scroll'));
  });
}

async function setUp(options: { compact?: boolean; messages?: number } = {}) {
  const api = fakeApi([conversation('cnv_a', 'Alpha', '2026-01-01T00:00:00.000Z'), conversation('cnv_b', 'Beta', '2026-01-01T00:00:00.000Z')], {
    cnv_a: history(options.messages ?? 10),
    cnv_b: history(5, 'cnv_b'),
  });
  const live = fakeLive();
  const mount = (visible = true) => mountChat(container, { api, live: live.live, compact: options.compact ?? false, visible });
  await mount();
  const open = (id: string) => click(q(`[data-conversation-id="${id}"]`)!);
  await open('cnv_a');
  return { api, live, mount, open };
}

describe('scrolling a thread', () => {
  it('opens at the newest message', async () => {
    await setUp();
    expect(list().scrollHeight).toBe(1000);
    expect(list().scrollTop).toBe(700);
    expect(jumpButton()).toBeNull();
  });

  it('follows a new message while the user is at the bottom (within 80 px of it)', async () => {
    const { live } = await setUp();
    await scrollTo(640);
    await live.push(EVENT.messageCreated, { message: fromBob() });
    expect(list().scrollTop).toBe(800);
    expect(jumpButton()).toBeNull();
  });

  it('leaves the view alone for a new message while the user reads further up, and offers "New messages ↓"', async () => {
    const { live } = await setUp();
    await scrollTo(200);
    await live.push(EVENT.messageCreated, { message: fromBob() });
    expect(list().scrollTop).toBe(200);
    const jump = jumpButton()!;
    expect(jump.getAttribute('type')).toBe('button');
    // Beside the list, not inside it.
    expect(jump.closest('ol')).toBeNull();

    await click(jump);
    expect(list().scrollTop).toBe(800);
    expect(jumpButton()).toBeNull();
    expect(document.activeElement).toBe(list());
  });

  it('takes the button away when the user scrolls down to the newest message themselves', async () => {
    const { live } = await setUp();
    await scrollTo(100);
    await live.push(EVENT.messageCreated, { message: fromBob() });
    await live.push(EVENT.messageCreated, { message: fromBob() });
    expect(jumpButton()).not.toBeNull();
    await scrollTo(500);
    expect(jumpButton()).not.toBeNull();
    await scrollTo(900);
    expect(jumpButton()).toBeNull();
  });

  it('brings my own message into view even while the user reads further up', async () => {
    await setUp();
    await scrollTo(100);
    await act(() => {
      const el = q<HTMLTextAreaElement>('.composer textarea')!;
      el.value = 'mine';
      el.dispatchEvent(new Event('input', { bubbles: true }));
    });
    await act(() => {
      q('.composer textarea')!.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true, cancelable: true }));
    });
    expect(list().scrollTop).toBe(800);
    await settle();
    expect(list().scrollTop).toBe(800);
    expect(jumpButton()).toBeNull();
  });

  it('keeps what is in view when an older page comes in at the top', async () => {
    const api = fakeApi([conversation('cnv_a', 'Alpha', '2026-01-01T00:00:00.000Z')]);
    api.listMessages.mockResolvedValueOnce({ messages: history(10), hasMore: true });
    const older = history(3).map((m) => ({ ...m, id: `old_${m.id}`, createdAt: m.createdAt.replace('2026', '2025') }));
    api.listMessages.mockResolvedValueOnce({ messages: older, hasMore: false });
    await mountChat(container, { api });
    await click(q('[data-conversation-id="cnv_a"]')!);
    // Ten messages below the "Load older messages" button.
    expect(list().scrollHeight).toBe(1100);
    expect(list().scrollTop).toBe(800);
    // Near the top, the older page is asked for; message 0 stays where it was on screen (100 px down).
    await scrollTo(0);
    await settle();
    expect(api.listMessages).toHaveBeenLastCalledWith('cnv_a', 'm0');
    expect(list().scrollHeight).toBe(1300);
    expect(list().scrollTop).toBe(200);
    expect(jumpButton()).toBeNull();
  });

  it('comes back to where the user left a thread: after another conversation, and after the home view', async () => {
    const { open } = await setUp();
    await scrollTo(300);
    await open('cnv_b');
    expect(list().scrollTop).toBe(200);
    await open('cnv_a');
    expect(list().scrollTop).toBe(300);
    expect(jumpButton()).toBeNull();

    removeContainer(container);
    container = addContainer();
    const compact = await setUp({ compact: true });
    await scrollTo(250);
    await click(q('button.back')!);
    expect(q('ol.messages')).toBeNull();
    await compact.open('cnv_a');
    expect(list().scrollTop).toBe(250);
  });

  it('comes back to the same place when the hidden panel is shown again, and offers what arrived meanwhile', async () => {
    const { mount, live } = await setUp({ compact: true });
    await scrollTo(300);
    await mount(false);
    // A hidden list forgets its position (display: none) and no scroll event says so.
    list().scrollTop = 0;
    await mount(true);
    expect(list().scrollTop).toBe(300);
    expect(jumpButton()).toBeNull();

    await mount(false);
    await live.push(EVENT.messageCreated, { message: fromBob() });
    list().scrollTop = 0;
    await mount(true);
    expect(list().scrollTop).toBe(300);
    expect(jumpButton()).not.toBeNull();
  });

  it('at the bottom when hidden, shown again at the new bottom', async () => {
    const { mount, live } = await setUp({ compact: true });
    await mount(false);
    await live.push(EVENT.messageCreated, { message: fromBob() });
    list().scrollTop = 0;
    await mount(true);
    expect(list().scrollTop).toBe(800);
    expect(jumpButton()).toBeNull();
  });
});

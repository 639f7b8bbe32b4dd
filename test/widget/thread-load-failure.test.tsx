// @vitest-environment happy-dom
/**
 * The open conversation's view is a module of its own, loaded after the chat: while it loads, or when it
 * could not be loaded (a network blip), the conversation keeps its head and the way back, says so, and is
 * tried again by its Retry button and when the panel is shown again.
 */
import { render } from 'preact';
import { act } from 'preact/test-utils';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ChatView, type ChatViewProps } from '../../widget/src/chat/ChatView.js';
import { preloadThread } from '../../widget/src/chat/thread-loader.js';
import { en } from '../../widget/src/chat/strings.js';
import { addContainer, click, removeContainer, settle } from '../helpers/dom.js';
import { conversation, fakeApi, fakeLive, message, ME } from './chat-fakes.js';

describe('the open conversation’s view when it cannot be loaded', () => {
  let container: HTMLElement;
  beforeEach(() => {
    container = addContainer();
  });
  afterEach(() => removeContainer(container));

  it('keeps the way back, offers Retry, and loads the view once it can', async () => {
    let offline = true;
    const loadThread = vi.fn(() => (offline ? Promise.reject(new TypeError('Failed to fetch dynamically imported module')) : preloadThread()));
    const api = fakeApi([conversation('cnv_a', 'Alpha', '2026-01-01T00:00:00.000Z')], { cnv_a: [message('m1', 'cnv_a', 'Hello there', '2026-01-01T00:00:01.000Z')] });
    const props: ChatViewProps = { api, me: ME, live: fakeLive().live, t: en, compact: true, loadThread };
    const draw = async (visible: boolean) => {
      await act(() => render(<ChatView {...props} visible={visible} />, container));
      await settle();
    };
    await draw(true);
    const open = container.querySelector<HTMLButtonElement>('ul.conversations button')!;
    expect(open.textContent).toContain('Alpha');
    await click(open);
    await vi.waitFor(() => expect(container.querySelector('.thread [role=alert]')?.textContent).toBe(en.errorGeneric));
    expect(container.querySelector('.thread .head h3')?.textContent).toBe('Alpha');
    // The button that opened it is gone: focus waits on the way back, not on the page.
    expect(document.activeElement).toBe(container.querySelector('.thread .head button.back'));
    expect(container.querySelector('ol.messages')).toBeNull();

    // Asked for as the chat mounted and as the conversation opened; Retry asks again, still offline.
    expect(loadThread).toHaveBeenCalledTimes(2);
    const retry = container.querySelector<HTMLButtonElement>('.thread button.retry')!;
    retry.focus();
    await click(retry);
    await vi.waitFor(() => expect(loadThread).toHaveBeenCalledTimes(3));
    // The same button, kept while it tries (focus stays on it), still there when it failed again.
    await vi.waitFor(() => expect(retry.getAttribute('aria-disabled')).toBe('false'));
    expect(container.querySelector('.thread button.retry')).toBe(retry);
    expect(document.activeElement).toBe(retry);
    expect(container.querySelector('.thread [role=alert]')?.textContent).toBe(en.errorGeneric);

    // The way back works without the view (and going back asks for it once more).
    await click(container.querySelector<HTMLButtonElement>('.thread button.back')!);
    await vi.waitFor(() => expect(container.querySelector('.home')).not.toBeNull());
    await vi.waitFor(() => expect(loadThread).toHaveBeenCalledTimes(4));

    // Back online, the panel closed and opened again: the view is asked for again, and the conversation
    // opens with its messages.
    offline = false;
    await draw(false);
    await draw(true);
    await vi.waitFor(() => expect(loadThread).toHaveBeenCalledTimes(5));
    await settle();
    await click(container.querySelector<HTMLButtonElement>('ul.conversations button')!);
    await vi.waitFor(() => expect(container.querySelector('ol.messages')?.textContent).toContain('Hello there'));
    expect(container.querySelector('.thread [role=alert]')).toBeNull();
    expect(loadThread).toHaveBeenCalledTimes(5);
  });
});

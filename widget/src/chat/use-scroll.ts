/**
 * Where a thread's message list is scrolled. A thread opens at its newest message; coming back to it (from
 * another conversation, from the home view, or when the hidden panel is shown again, which makes the browser
 * forget the position) puts it back where the user left it. New messages are followed only while the user is
 * at the bottom: scrolled further up, the view stays and `below` is raised for a "New messages" button. The
 * user's own message always brings the view down; an older page added at the top keeps what was in view.
 */
import type { RefObject } from 'preact';
import { useLayoutEffect, useRef, useState } from 'preact/hooks';
import type { DisplayMessage } from './use-chat.js';

/** Closer than this to the bottom (px) counts as at the bottom. */
const NEAR = 80;

/** A message's identity across its pending and sent copies. */
const keyOf = (m: DisplayMessage | undefined) => (m ? (m.clientMessageId ? `${m.author.id}:${m.clientMessageId}` : m.id) : '');

/**
 * Per thread left scrolled up: its position and its newest message then (a thread at the bottom has none).
 * Kept by the chat view, so that it outlives the thread's view (the home view replaces it in the widget).
 */
export type ScrollMemory = Map<string, { top: number; last: string }>;

export function useThreadScroll(list: RefObject<HTMLElement | null>, id: string | null, items: DisplayMessage[], visible: boolean, memory: ScrollMemory) {
  const last = useRef({ id: null as string | null, first: '', last: '', count: 0, height: 0, shown: false });
  const atBottom = useRef(true);
  const [below, setBelow] = useState(false);
  const first = keyOf(items[0]);
  const newest = items[items.length - 1];
  const newestKey = keyOf(newest);

  const toBottom = (el: HTMLElement) => {
    el.scrollTop = el.scrollHeight;
    atBottom.current = true;
    setBelow(false);
  };

  useLayoutEffect(() => {
    const el = list.current;
    const was = last.current;
    if (!el || !visible || !id) return void (was.shown = false);
    if (id !== was.id || !was.shown) {
      const pos = memory.get(id);
      if (pos) {
        el.scrollTop = pos.top;
        atBottom.current = false;
        setBelow(pos.last !== newestKey);
      } else toBottom(el);
    } else if (first !== was.first && was.first !== '' && newestKey === was.last) {
      el.scrollTop += el.scrollHeight - was.height;
    } else if (items.length > was.count || newestKey !== was.last) {
      if (atBottom.current || newest?.status === 'pending') toBottom(el);
      else setBelow(true);
    }
    last.current = { id, first, last: newestKey, count: items.length, height: el.scrollHeight, shown: true };
  });

  /** For the list's scroll events: remembers where the user is. */
  const onScroll = () => {
    const el = list.current;
    if (!el || !id || !visible) return;
    atBottom.current = el.scrollHeight - el.scrollTop - el.clientHeight <= NEAR;
    if (atBottom.current) {
      memory.delete(id);
      setBelow(false);
    } else memory.set(id, { top: el.scrollTop, last: newestKey });
  };

  /** Down to the newest message, focus on the list (the button that asked for it goes away). */
  const jump = () => {
    const el = list.current;
    if (!el) return;
    toBottom(el);
    if (id) memory.delete(id);
    el.focus({ preventScroll: true });
  };

  return { below, onScroll, jump };
}

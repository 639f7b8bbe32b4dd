/**
 * The admin's live event stream: `GET /api/v1/events` with the session cookie carries the events of every
 * conversation of the organization, and the signals (typing, the assistant's reply as it streams). One
 * EventSource per tab, shared by whoever listens (the panel's waiting count, the inbox): the first listener
 * opens it, the last one closes it. EventSource reconnects (and resumes by Last-Event-ID) by itself; a
 * stream the server refused for good (after the account was deactivated) stays closed.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { EVENT } from '#shared/constants.js';

export type LiveStatus = 'connecting' | 'live' | 'reconnecting' | 'closed' | 'unsupported';

interface Listener {
  onEvent(type: string, data: unknown): void;
  onClosed(): void;
  onStatus(status: LiveStatus): void;
}

let shared: { source: EventSource; listeners: Set<Listener>; status: LiveStatus } | null = null;

function open(): NonNullable<typeof shared> {
  const source = new EventSource('/api/v1/events');
  const stream = { source, listeners: new Set<Listener>(), status: 'connecting' as LiveStatus };
  const setStatus = (status: LiveStatus) => {
    stream.status = status;
    stream.listeners.forEach((l) => l.onStatus(status));
  };
  for (const name of [
    EVENT.messageCreated,
    EVENT.messageUpdated,
    EVENT.messageDeleted,
    EVENT.conversationCreated,
    EVENT.conversationUpdated,
    EVENT.conversationRead,
    EVENT.typing,
    EVENT.assistantReplying,
    EVENT.messageDelta,
    EVENT.assistantEnded,
    EVENT.resync,
  ]) {
    source.addEventListener(name, (e: MessageEvent<string>) => {
      let data: unknown;
      try {
        data = JSON.parse(e.data);
      } catch {
        return; // A malformed frame is skipped, never fatal.
      }
      stream.listeners.forEach((l) => l.onEvent(name, data));
    });
  }
  source.addEventListener('open', () => setStatus('live'));
  source.addEventListener('ready', () => setStatus('live'));
  source.addEventListener('error', () => {
    if (source.readyState !== EventSource.CLOSED) return setStatus('reconnecting');
    setStatus('closed');
    stream.listeners.forEach((l) => l.onClosed());
    if (shared === stream) shared = null; // the next listener opens a new one
  });
  return stream;
}

export function useLive(onEvent: (type: string, data: unknown) => void, onClosed: () => void): LiveStatus {
  const [status, setStatus] = useState<LiveStatus>('connecting');
  const handlers = useRef({ onEvent, onClosed });
  handlers.current = { onEvent, onClosed };
  useEffect(() => {
    if (typeof EventSource === 'undefined') {
      setStatus('unsupported');
      return;
    }
    const stream = (shared ??= open());
    const listener: Listener = { onEvent: (t, d) => handlers.current.onEvent(t, d), onClosed: () => handlers.current.onClosed(), onStatus: setStatus };
    stream.listeners.add(listener);
    setStatus(stream.status);
    return () => {
      stream.listeners.delete(listener);
      if (stream.listeners.size === 0) {
        stream.source.close();
        if (shared === stream) shared = null;
      }
    };
  }, []);
  return status;
}

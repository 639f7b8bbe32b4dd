/**
 * The admin's live event stream: `GET /api/v1/events` with the session cookie carries the events of every
 * conversation of the organization. EventSource reconnects (and resumes by Last-Event-ID) by itself; a stream
 * the server refused for good (a 401 after the account was deactivated) stays closed.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { EVENT } from '../../../shared/src/constants.js';

export type LiveStatus = 'connecting' | 'live' | 'reconnecting' | 'closed' | 'unsupported';

export function useLive(onEvent: (type: string, data: unknown) => void, onClosed: () => void): LiveStatus {
  const [status, setStatus] = useState<LiveStatus>('connecting');
  const handlers = useRef({ onEvent, onClosed });
  handlers.current = { onEvent, onClosed };
  useEffect(() => {
    if (typeof EventSource === 'undefined') {
      setStatus('unsupported');
      return;
    }
    const source = new EventSource('/api/v1/events');
    for (const name of [EVENT.messageCreated, EVENT.conversationCreated, EVENT.conversationUpdated]) {
      source.addEventListener(name, (e: MessageEvent<string>) => {
        let data: unknown;
        try {
          data = JSON.parse(e.data);
        } catch {
          return; // A malformed frame is skipped, never fatal.
        }
        handlers.current.onEvent(name, data);
      });
    }
    const live = () => setStatus('live');
    source.addEventListener('open', live);
    source.addEventListener('ready', live);
    source.addEventListener('error', () => {
      if (source.readyState === EventSource.CLOSED) {
        setStatus('closed');
        handlers.current.onClosed();
      } else setStatus('reconnecting');
    });
    return () => source.close();
  }, []);
  return status;
}

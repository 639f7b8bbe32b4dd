/** The hosted page's live events: an EventSource on /api/v1/events that notices when the session has ended. */
import { EVENT } from '#shared/constants.js';
import { endsSession, type ApiClient } from '../api/client.js';
import { backoffDelay } from '../api/event-stream.js';
import type { LiveSource } from '../chat/use-chat.js';

/**
 * Live events through an EventSource. It reconnects by itself after a drop, but gives up for good when a
 * reconnect is answered with anything but a stream (401 once the session has ended, or a proxy's 5xx):
 * then the page asks the server who it is: a 401 (or a deactivated account's 403) means signed out
 * (`onSignedOut`, with the code); otherwise a new
 * EventSource is opened, with backoff, resuming after the last event seen.
 */
export function eventSourceLive(api: Pick<ApiClient, 'me'>, onSignedOut: (code: string) => void): LiveSource {
  return (onEvent) => {
    let source: EventSource | undefined;
    let lastEventId = '';
    let attempt = 0;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let stopped = false;
    const retry = () => {
      if (!stopped) timer = setTimeout(connect, backoffDelay(attempt++));
    };
    function connect() {
      const current = new EventSource(lastEventId ? `/api/v1/events?lastEventId=${encodeURIComponent(lastEventId)}` : '/api/v1/events');
      source = current;
      for (const name of [EVENT.messageCreated, EVENT.messageUpdated, EVENT.messageDeleted, EVENT.conversationCreated, EVENT.conversationUpdated, EVENT.conversationRead, EVENT.typing, EVENT.resync]) {
        current.addEventListener(name, (e: MessageEvent<string>) => {
          lastEventId = e.lastEventId || lastEventId;
          try {
            onEvent(name, JSON.parse(e.data));
          } catch {
            // A malformed frame is skipped, never fatal.
          }
        });
      }
      current.addEventListener('ready', (e: MessageEvent<string>) => {
        lastEventId = e.lastEventId || lastEventId;
        attempt = 0;
        document.body.setAttribute('data-live', 'ready');
      });
      current.addEventListener('error', () => {
        document.body.setAttribute('data-live', 'reconnecting');
        if (stopped || current.readyState !== EventSource.CLOSED) return;
        api.me().then(retry, (e: unknown) => (endsSession(e) ? !stopped && onSignedOut(e.code) : retry()));
      });
    }
    connect();
    return () => {
      stopped = true;
      clearTimeout(timer);
      source?.close();
    };
  };
}

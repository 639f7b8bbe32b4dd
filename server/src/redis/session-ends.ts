/**
 * Session ends (a logout, an account's sessions all ended) told to every instance through Redis, so that an
 * open event stream of the session closes within moments wherever it is held. Without Redis a logout on one
 * instance reaches another's streams at their next session re-check (routes/chat/events.ts); an account's
 * change is announced by the database's change feed either way (store/changes.ts).
 */
import { randomBytes } from 'node:crypto';
import type { EventBus, SessionEnded } from '../chat/event-bus.js';
import type { RedisLink } from './link.js';

export const SESSION_ENDS_CHANNEL = 'sessions';
/** The waits between tries of a session end's publication (about 15 s in all). */
export const PUBLISH_RETRY_MS = [100, 400, 1_500, 5_000, 8_000];

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The session end a message carries, with the instance that sent it, if it is one. */
function readSessionEnd(message: string): { from: string; ended: SessionEnded } | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(message);
  } catch {
    return undefined;
  }
  if (!isRecord(parsed) || typeof parsed['from'] !== 'string') return undefined;
  if (typeof parsed['sessionId'] === 'string') return { from: parsed['from'], ended: { sessionId: parsed['sessionId'] } };
  if (typeof parsed['userId'] === 'string') return { from: parsed['from'], ended: { userId: parsed['userId'] } };
  return undefined;
}

/** Publishes this instance's session ends and hands other instances' to the bus; answers the stop function. */
export function relaySessionEnds(bus: Pick<EventBus, 'shareSessionEnds' | 'sessionEndedElsewhere'>, link: RedisLink): () => void {
  const self = randomBytes(8).toString('hex');
  let stopped = false;
  const stopSharing = bus.shareSessionEnds((ended) => {
    void publishUntilSent(JSON.stringify({ from: self, ...ended }));
  });
  /**
   * A session end that could not be published (Redis away or slow for a moment) is tried again for a while:
   * the other instances trust Redis to tell them, and re-check a session only every few minutes otherwise.
   */
  async function publishUntilSent(message: string): Promise<void> {
    for (const delay of PUBLISH_RETRY_MS) {
      if (stopped || (await link.publish(SESSION_ENDS_CHANNEL, message))) return;
      await new Promise((resolve) => setTimeout(resolve, delay).unref());
    }
    if (!stopped) await link.publish(SESSION_ENDS_CHANNEL, message);
  }
  const unsubscribe = link.subscribe(SESSION_ENDS_CHANNEL, (message) => {
    const heard = readSessionEnd(message);
    if (heard && heard.from !== self) bus.sessionEndedElsewhere(heard.ended);
  });
  return () => {
    stopped = true;
    stopSharing();
    unsubscribe();
  };
}

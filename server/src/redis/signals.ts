/**
 * Signals (chat/signals.ts: `typing`) through a Redis channel: every instance subscribes, this one included,
 * and a published signal reaches every instance's streams without touching the database. While Redis is
 * away a signal goes through the fallback (PostgreSQL's NOTIFY, or in process on SQLite), which every
 * instance keeps hearing, so typing keeps working per instance or across PostgreSQL meanwhile.
 */
import type { ConversationRepository } from '../store/conversations.js';
import { createListeners, readSignal, type Signals } from '../chat/signals.js';
import type { RedisLink } from './link.js';

export const SIGNALS_CHANNEL = 'signals';

export function createRedisSignals(deps: { link: RedisLink; fallback: Signals; conversations: Pick<ConversationRepository, 'participantIds'> }): Signals {
  const { link, fallback, conversations } = deps;
  const listeners = createListeners();

  async function heard(message: string): Promise<void> {
    const signal = readSignal(message);
    if (!signal) return;
    const participantIds = signal.audience.participantIds ?? (await conversations.participantIds(signal.data.conversationId));
    listeners.deliver({ ...signal, audience: { ...signal.audience, participantIds } });
  }

  return {
    async publishSignal(signal) {
      if (link.available() && (await link.publish(SIGNALS_CHANNEL, JSON.stringify(signal)))) return;
      await fallback.publishSignal(signal);
    },
    subscribeSignals: listeners.add,
    async start() {
      const stopFallback = await fallback.start();
      const unsubscribeFallback = fallback.subscribeSignals(listeners.deliver);
      const unsubscribe = link.subscribe(SIGNALS_CHANNEL, (message) => {
        heard(message).catch(() => undefined);
      });
      return async () => {
        unsubscribe();
        unsubscribeFallback();
        await stopFallback();
      };
    },
  };
}

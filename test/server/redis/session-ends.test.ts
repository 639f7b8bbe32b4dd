/**
 * A session end that Redis refused for a moment is published again until it goes through (within about 15 s),
 * since the other instances re-check a session only every few minutes while they trust Redis to tell them.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createEventBus } from '../../../server/src/chat/event-bus.js';
import { relaySessionEnds, SESSION_ENDS_CHANNEL } from '../../../server/src/redis/session-ends.js';
import type { RedisLink } from '../../../server/src/redis/link.js';

describe('session ends over Redis', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('publishes a session end again while Redis refuses it, and stops once it went through', async () => {
    const published: string[] = [];
    let refusals = 2;
    const link = {
      publish: vi.fn(async (name: string, message: string) => {
        if (refusals > 0) {
          refusals--;
          return false;
        }
        published.push(`${name} ${message}`);
        return true;
      }),
      subscribe: () => () => undefined,
    } as unknown as RedisLink;
    const bus = createEventBus({ relayed: true });
    const stop = relaySessionEnds(bus, link);
    bus.endSession('ses_1');
    await vi.advanceTimersByTimeAsync(0);
    expect(published).toEqual([]);
    await vi.advanceTimersByTimeAsync(100 + 400);
    expect(published).toHaveLength(1);
    expect(published[0]).toMatch(new RegExp(`^${SESSION_ENDS_CHANNEL} \\{"from":"[0-9a-f]{16}","sessionId":"ses_1"\\}$`));
    await vi.advanceTimersByTimeAsync(20_000);
    expect(link.publish).toHaveBeenCalledTimes(3);
    stop();
  });
});

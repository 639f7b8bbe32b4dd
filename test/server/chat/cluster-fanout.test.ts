/**
 * The cluster fan-out's cursor moves past an event only once the event has reached the bus: a failed
 * lookup (the database went away between reading the event and its participants) is tried again, and every
 * event arrives once, in order. The database is faked; timers are fake so that the retry delays are exact.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { startClusterFanout } from '../../../server/src/chat/cluster-fanout.js';
import { createEventBus, type BusEvent } from '../../../server/src/chat/event-bus.js';
import type { EventRow } from '../../../server/src/store/events.js';

const connectionError = () => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });

const row = (id: number, conversationId: string): EventRow => ({
  id,
  conversation_id: conversationId,
  organization_id: 'default',
  document_id: null,
  type: 'message.created',
  payload: JSON.stringify({ n: id }),
  created_at: 0,
  internal: 0,
});

function fakeDatabase() {
  const log: EventRow[] = [];
  const listAfterCalls: number[] = [];
  let notify: ((payload: string) => void) | undefined;
  let stopped = false;
  return {
    log,
    listAfterCalls,
    notify: () => notify?.(''),
    get listening() {
      return notify !== undefined && !stopped;
    },
    store: {
      async listen(_channel: string, onNotify: (payload: string) => void) {
        notify = onNotify;
        return async () => {
          stopped = true;
        };
      },
    },
    events: {
      latestId: async () => log.at(-1)?.id ?? 0,
      listAfter: vi.fn(async (afterId: number, limit: number) => {
        listAfterCalls.push(afterId);
        return log.filter((e) => e.id > afterId).slice(0, limit);
      }),
    },
  };
}

describe('cluster fan-out', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('does not move its cursor past an event whose participants could not be read, and delivers it on the retry', async () => {
    const database = fakeDatabase();
    const participants = new Map([
      ['c1', ['alice']],
      ['c2', ['bob']],
    ]);
    let failNext = new Set(['c2']);
    const participantIds = vi.fn(async (conversationId: string) => {
      if (failNext.has(conversationId)) {
        failNext.delete(conversationId);
        throw connectionError();
      }
      return participants.get(conversationId) ?? [];
    });
    const bus = createEventBus({ relayed: true });
    const received: BusEvent[] = [];
    bus.subscribe((e) => received.push(e));
    const stop = await startClusterFanout({ store: database.store, events: database.events, conversations: { participantIds }, bus, changes: { heard: () => undefined } });

    database.log.push(row(1, 'c1'), row(2, 'c2'), row(3, 'c1'));
    database.notify();
    await vi.advanceTimersByTimeAsync(0);
    // Event 1 went out; the lookup for event 2 failed, so neither 2 nor 3 did, and the cursor stayed at 1.
    expect(received.map((e) => e.event.id)).toEqual([1]);

    await vi.advanceTimersByTimeAsync(99);
    expect(received.map((e) => e.event.id)).toEqual([1]);
    await vi.advanceTimersByTimeAsync(1);
    expect(received.map((e) => [e.event.id, e.participantIds])).toEqual([
      [1, ['alice']],
      [2, ['bob']],
      [3, ['alice']],
    ]);
    // The retry read from event 1's id, not from the failed event's.
    expect(database.listAfterCalls.at(-1)).toBe(1);
    expect(participantIds.mock.calls.filter(([c]) => c === 'c2')).toHaveLength(2);

    // Nothing more comes: each event went out once.
    failNext = new Set();
    database.notify();
    await vi.advanceTimersByTimeAsync(5000);
    expect(received.map((e) => e.event.id)).toEqual([1, 2, 3]);
    await stop();
  });

  it('keeps trying while the database is away, at most a second apart, and catches up when it returns', async () => {
    const database = fakeDatabase();
    let down = false;
    const listAfter = database.events.listAfter;
    database.events.listAfter = vi.fn(async (afterId: number, limit: number) => {
      if (down) {
        database.listAfterCalls.push(afterId);
        throw connectionError();
      }
      return listAfter(afterId, limit);
    });
    const bus = createEventBus({ relayed: true });
    const received: number[] = [];
    bus.subscribe((e) => received.push(e.event.id));
    const stop = await startClusterFanout({ store: database.store, events: database.events, conversations: { participantIds: async () => ['alice'] }, bus, changes: { heard: () => undefined } });
    await vi.advanceTimersByTimeAsync(0);

    down = true;
    database.log.push(row(1, 'c1'));
    database.notify();
    await vi.advanceTimersByTimeAsync(0);
    const failedAt = database.listAfterCalls.length;
    // 100, 200, 400, 800, then every 1000 ms.
    await vi.advanceTimersByTimeAsync(100 + 200 + 400 + 800 + 1000 + 1000);
    expect(database.listAfterCalls.length - failedAt).toBe(6);
    expect(received).toEqual([]);

    down = false;
    await vi.advanceTimersByTimeAsync(1000);
    expect(received).toEqual([1]);
    await stop();
  });

  it('stops retrying once stopped', async () => {
    const database = fakeDatabase();
    database.events.listAfter = vi.fn(async (afterId: number) => {
      database.listAfterCalls.push(afterId);
      throw connectionError();
    });
    const stop = await startClusterFanout({ store: database.store, events: database.events, conversations: { participantIds: async () => [] }, bus: createEventBus({ relayed: true }), changes: { heard: () => undefined } });
    await vi.advanceTimersByTimeAsync(350);
    await stop();
    const calls = database.listAfterCalls.length;
    expect(calls).toBeGreaterThan(1);
    database.notify();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(database.listAfterCalls.length).toBe(calls);
    expect(database.listening).toBe(false);
  });
});

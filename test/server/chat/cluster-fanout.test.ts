/**
 * The cluster fan-out's cursor moves past an event only once the event has reached the bus: a failed
 * lookup (the database went away between reading the event and its participants) is tried again, and every
 * event arrives once, in order; and it never reads past a fence that is not final (store/events.ts), so an
 * id that commits after a greater one is not skipped. The database is faked (its ids, transaction ids and
 * running transactions included); timers are fake so that the retry delays are exact.
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
  /** Transaction ids still running (their events not in the log yet), and the next one to hand out. */
  const running = new Set<bigint>();
  let nextXid = 100n;
  let lastId = 0;
  let notify: ((payload: string) => void) | undefined;
  let stopped = false;
  const oldestRunning = () => (running.size === 0 ? nextXid : [...running].reduce((a, b) => (a < b ? a : b)));
  return {
    log,
    listAfterCalls,
    /** An append that reserves its id now and commits when `commit` is called. */
    begin(conversationId: string) {
      const xid = nextXid++;
      running.add(xid);
      const id = ++lastId;
      return {
        id,
        commit() {
          running.delete(xid);
          log.push(row(id, conversationId));
          log.sort((a, b) => a.id - b.id);
        },
      };
    },
    /** An append that commits at once. */
    append(conversationId: string) {
      this.begin(conversationId).commit();
    },
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
      // The fence's own statement's watermark is taken as it begins, before its xid.
      fence: async () => {
        const watermark = oldestRunning();
        return { reserved: lastId, xid: nextXid++, watermark };
      },
      watermark: async () => oldestRunning(),
      listAfter: vi.fn(async (afterId: number, limit: number, upTo: number) => {
        listAfterCalls.push(afterId);
        return log.filter((e) => e.id > afterId && e.id <= upTo).slice(0, limit);
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

  it('does not move its cursor past events whose participants could not be read, and delivers them on the retry', async () => {
    const database = fakeDatabase();
    const participants = new Map([
      ['c1', ['alice']],
      ['c2', ['bob']],
    ]);
    let failNext = true;
    const participantIdsOf = vi.fn(async (conversationIds: readonly string[]) => {
      if (failNext) {
        failNext = false;
        throw connectionError();
      }
      return new Map(conversationIds.map((id) => [id, participants.get(id) ?? []]));
    });
    const bus = createEventBus({ relayed: true });
    const received: BusEvent[] = [];
    bus.subscribe((e) => received.push(e));
    const stop = await startClusterFanout({ store: database.store, events: database.events, conversations: { participantIdsOf }, bus, changes: { heard: () => undefined } });

    database.append('c1');
    database.append('c2');
    database.append('c1');
    database.notify();
    await vi.advanceTimersByTimeAsync(0);
    // The batch's participants could not be read: none of its events went out, and the cursor stayed put.
    expect(received).toEqual([]);

    await vi.advanceTimersByTimeAsync(99);
    expect(received).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(received.map((e) => [e.event.id, e.participantIds])).toEqual([
      [1, ['alice']],
      [2, ['bob']],
      [3, ['alice']],
    ]);
    // The retry read from the cursor's place again, and asked once for the batch's conversations.
    expect(database.listAfterCalls.at(-1)).toBe(0);
    expect(participantIdsOf.mock.calls).toEqual([
      [['c1', 'c2', 'c1']],
      [['c1', 'c2', 'c1']],
    ]);

    // Nothing more comes: each event went out once.
    failNext = false;
    database.notify();
    await vi.advanceTimersByTimeAsync(5000);
    expect(received.map((e) => e.event.id)).toEqual([1, 2, 3]);
    await stop();
  });

  it('keeps trying while the database is away, at most a second apart, and catches up when it returns', async () => {
    const database = fakeDatabase();
    let down = false;
    const listAfter = database.events.listAfter;
    database.events.listAfter = vi.fn(async (afterId: number, limit: number, upTo: number) => {
      if (down) {
        database.listAfterCalls.push(afterId);
        throw connectionError();
      }
      return listAfter(afterId, limit, upTo);
    });
    const bus = createEventBus({ relayed: true });
    const received: number[] = [];
    bus.subscribe((e) => received.push(e.event.id));
    const stop = await startClusterFanout({ store: database.store, events: database.events, conversations: { participantIdsOf: async (ids) => new Map(ids.map((id) => [id, ['alice']])) }, bus, changes: { heard: () => undefined } });
    await vi.advanceTimersByTimeAsync(0);

    down = true;
    database.append('c1');
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

  it('takes a fence again when taking one failed, so that an event already committed is not held until the next notification; the failure is told once', async () => {
    const database = fakeDatabase();
    const fence = database.events.fence;
    let failing = 0;
    database.events.fence = async () => {
      if (failing > 0) {
        failing--;
        throw connectionError();
      }
      return fence();
    };
    const errors: unknown[] = [];
    const bus = createEventBus({ relayed: true });
    const received: number[] = [];
    bus.subscribe((e) => received.push(e.event.id));
    const stop = await startClusterFanout({ store: database.store, events: database.events, conversations: { participantIdsOf: async (ids) => new Map(ids.map((id) => [id, ['alice']])) }, bus, changes: { heard: () => undefined }, onError: (error) => errors.push(error) });
    await vi.advanceTimersByTimeAsync(0);
    failing = 2;
    database.append('c1');
    database.notify();
    // No other notification comes: the retries alone must take the fence.
    await vi.advanceTimersByTimeAsync(100 + 200 + 400);
    expect(received).toEqual([1]);
    expect(errors).toHaveLength(1);
    await stop();
  });

  it('stops retrying once stopped', async () => {
    const database = fakeDatabase();
    database.events.listAfter = vi.fn(async (afterId: number) => {
      database.listAfterCalls.push(afterId);
      throw connectionError();
    });
    const stop = await startClusterFanout({ store: database.store, events: database.events, conversations: { participantIdsOf: async (ids) => new Map(ids.map((id) => [id, []])) }, bus: createEventBus({ relayed: true }), changes: { heard: () => undefined } });
    database.append('c1');
    database.notify();
    await vi.advanceTimersByTimeAsync(350);
    await stop();
    const calls = database.listAfterCalls.length;
    expect(calls).toBeGreaterThan(1);
    database.notify();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(database.listAfterCalls.length).toBe(calls);
    expect(database.listening).toBe(false);
  });

  it('does not publish an event while an append holding a smaller id still runs, then publishes both in order', async () => {
    const database = fakeDatabase();
    const bus = createEventBus({ relayed: true });
    const received: number[] = [];
    bus.subscribe((e) => received.push(e.event.id));
    const horizon = { through: null as number | null };
    const stop = await startClusterFanout({ store: database.store, events: database.events, conversations: { participantIdsOf: async (ids) => new Map(ids.map((id) => [id, ['alice']])) }, bus, changes: { heard: () => undefined }, horizon });
    expect(horizon.through).toBe(0);

    const first = database.begin('c1'); // id 1, still running
    database.begin('c1').commit(); // id 2, committed first
    database.notify();
    await vi.advanceTimersByTimeAsync(50);
    // Event 2 is in the log, but id 1 may still commit: nothing goes out, and the horizon stays before 1.
    expect(received).toEqual([]);
    expect(horizon.through).toBe(0);

    first.commit();
    database.notify();
    await vi.advanceTimersByTimeAsync(0);
    expect(received).toEqual([1, 2]);
    expect(horizon.through).toBe(2);
    await vi.advanceTimersByTimeAsync(1000);
    expect(received).toEqual([1, 2]);
    await stop();
  });

  it('waits at start for the appends running then, and publishes none of the events up to its first fence', async () => {
    const database = fakeDatabase();
    const early = database.begin('c1');
    const bus = createEventBus({ relayed: true });
    const received: number[] = [];
    bus.subscribe((e) => received.push(e.event.id));
    const horizon = { through: null as number | null };
    let started = false;
    const starting = startClusterFanout({ store: database.store, events: database.events, conversations: { participantIdsOf: async (ids) => new Map(ids.map((id) => [id, ['alice']])) }, bus, changes: { heard: () => undefined }, horizon }).then((stop) => {
      started = true;
      return stop;
    });
    await vi.advanceTimersByTimeAsync(500);
    expect(started).toBe(false);
    early.commit();
    await vi.advanceTimersByTimeAsync(200);
    expect(started).toBe(true);
    expect(horizon.through).toBe(1);
    database.append('c1');
    database.notify();
    await vi.advanceTimersByTimeAsync(0);
    expect(received).toEqual([2]);
    await (await starting)();
  });

  it('under load takes one statement before a read: the fence answers the watermark of the fences before it', async () => {
    const database = fakeDatabase();
    const calls: string[] = [];
    const { fence, watermark, listAfter } = database.events;
    database.events.fence = async () => (calls.push('fence'), fence());
    database.events.watermark = async () => (calls.push('watermark'), watermark());
    database.events.listAfter = vi.fn(async (afterId: number, limit: number, upTo: number) => (calls.push('read'), listAfter(afterId, limit, upTo)));
    const bus = createEventBus({ relayed: true });
    const received: number[] = [];
    bus.subscribe((e) => received.push(e.event.id));
    const stop = await startClusterFanout({ store: database.store, events: database.events, conversations: { participantIdsOf: async (ids) => new Map(ids.map((id) => [id, ['alice']])) }, bus, changes: { heard: () => undefined } });
    await vi.advanceTimersByTimeAsync(0);
    calls.splice(0); // the start's

    // From idle: a fence, then at once a watermark, which shows it pending (event 1 still commits).
    const first = database.begin('c1');
    database.notify();
    await vi.advanceTimersByTimeAsync(0);
    expect(calls.splice(0)).toEqual(['fence', 'watermark']);
    // Under load (that fence pending): event 1 commits while event 2's append runs, and a notification comes.
    const second = database.begin('c1');
    first.commit();
    database.notify();
    await vi.advanceTimersByTimeAsync(0);
    // One statement: the new fence, whose watermark shows the first fence final, then the read.
    expect(calls.splice(0)).toEqual(['fence', 'read']);
    expect(received).toEqual([1]);
    // The new fence is left to the pending timer's watermark.
    second.commit();
    await vi.advanceTimersByTimeAsync(2);
    expect(calls.splice(0)).toEqual(['watermark', 'read']);
    expect(received).toEqual([1, 2]);
    await stop();
  });
});

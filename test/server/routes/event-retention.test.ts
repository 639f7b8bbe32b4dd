/**
 * PARLEY_EVENT_RETENTION: the job deletes only the events older than the retention, in batches, and a
 * stream resuming from an id whose events were deleted is told `resync` and goes on from now; one resuming
 * from after what was deleted is replayed as usual.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { pruneEvents } from '../../../server/src/chat/event-retention.js';
import { createTestApp, type TestApp } from '../../helpers/app.js';
import { DIALECTS } from '../../helpers/databases.js';
import { openSse, type SseFrame, type SseReader } from '../../helpers/sse.js';

const DAY = 24 * 3600_000;

describe.each(DIALECTS)('event retention on %s', (dialect) => {
  let t: TestApp;
  let base: string;
  const streams: SseReader[] = [];

  beforeEach(async () => {
    t = await createTestApp({ dialect, heartbeatMs: 100, env: { PARLEY_EVENT_RETENTION: '7d' } });
    base = await t.app.listen({ port: 0, host: '127.0.0.1' });
  });
  afterEach(async () => {
    for (const s of streams.splice(0)) s.close();
    await t.close();
  });

  const open = async (headers: Record<string, string>) => {
    const stream = await openSse(`${base}/api/v1/events`, headers);
    streams.push(stream);
    return stream;
  };
  const texts = (frames: SseFrame[]) => frames.filter((f) => f.event === 'message.created').map((f) => JSON.parse(f.data!).message.text);
  /** Alice's conversation; `later(ms)` moves the clock on and signs her in again (her session would expire). */
  const setUp = async () => {
    const signIn = async () => {
      const res = await t.app.inject({ method: 'POST', url: '/api/v1/auth/exchange', payload: { externalAuthCode: await t.sign({ user: { id: 'alice', name: 'Alice' } }) } });
      return { authorization: `Bearer ${res.json().session.token}` };
    };
    const state = { alice: await signIn() };
    const id = (await t.app.inject({ method: 'POST', url: '/api/v1/conversations', headers: state.alice, payload: {} })).json().conversation.id as string;
    const post = async (text: string) => {
      const r = await t.app.inject({ method: 'POST', url: `/api/v1/conversations/${id}/messages`, headers: state.alice, payload: { text, clientMessageId: text } });
      expect(r.statusCode).toBe(201);
    };
    const later = async (ms: number) => {
      t.clock.now += ms;
      state.alice = await signIn();
    };
    return { state, post, later };
  };
  const eventIds = async () => (await t.db.store.db.selectFrom('events').select(['id', 'created_at']).orderBy('id').execute()).map((r) => ({ id: Number(r.id), at: Number(r.created_at) }));

  it('deletes only the events older than the retention, a batch at a time, and records the newest deleted', async () => {
    const { post, later } = await setUp();
    for (const text of ['old1', 'old2', 'old3', 'old4', 'old5']) await post(text);
    const oldIds = (await eventIds()).map((e) => e.id);
    await later(8 * DAY);
    await post('new1');
    await post('new2');
    const before = await eventIds();
    const deleted = await pruneEvents(t.app.services.events, t.clock.now - t.config.eventRetentionSeconds * 1000, 2);
    expect(deleted).toBe(oldIds.length);
    const after = await eventIds();
    expect(after).toEqual(before.filter((e) => !oldIds.includes(e.id)));
    expect(after.length).toBeGreaterThan(0);
    expect(after.every((e) => e.at === t.clock.now)).toBe(true);
    expect(await t.app.services.events.prunedThrough()).toBe(Math.max(...oldIds));
    // Nothing more is old: another round deletes nothing and the record stays.
    expect(await pruneEvents(t.app.services.events, t.clock.now - t.config.eventRetentionSeconds * 1000, 2)).toBe(0);
    expect(await t.app.services.events.prunedThrough()).toBe(Math.max(...oldIds));
  });

  it('a stream resuming from a deleted id gets resync and then live events; one resuming after them is replayed', async () => {
    const { state, post, later } = await setUp();
    await post('old1');
    const firstId = (await eventIds()).at(-1)!.id;
    await post('old2');
    await later(8 * DAY);
    await post('kept');
    const keptFrom = (await eventIds()).at(-2)!.id;
    await pruneEvents(t.app.services.events, t.clock.now - t.config.eventRetentionSeconds * 1000);
    // On PostgreSQL a stream starts where the cluster fan-out has got to: once it has relayed 'kept'.
    const { eventHorizon } = t.app.services;
    if (eventHorizon.through !== null) await vi.waitFor(() => expect(eventHorizon.through).toBeGreaterThan(keptFrom), { timeout: 3000 });

    const stale = await open({ ...state.alice, 'last-event-id': String(firstId) });
    const frames = await stale.until((f) => f.some((x) => x.event === 'ready'));
    const resync = frames.filter((f) => f.event === 'resync');
    expect(resync).toHaveLength(1);
    expect(resync[0]!.data).toBe('{}');
    expect(Number(resync[0]!.id)).toBeGreaterThan(keptFrom);
    expect(texts(frames)).toEqual([]);
    await post('after');
    expect(texts(await stale.until((f) => texts(f).length === 1))).toEqual(['after']);

    // From the newest deleted id on, nothing is missing: no resync, the kept events replayed.
    const fresh = await open({ ...state.alice, 'last-event-id': String(keptFrom) });
    const replayed = await fresh.until((f) => f.some((x) => x.event === 'ready'));
    expect(replayed.some((f) => f.event === 'resync')).toBe(false);
    expect(texts(replayed)).toEqual(['kept', 'after']);
  });
  it('once every event is deleted, a new stream starts after the deleted ones, and resuming from there is no resync', async () => {
    const { state, post, later } = await setUp();
    await post('old');
    const newest = (await eventIds()).at(-1)!.id;
    await later(8 * DAY);
    await pruneEvents(t.app.services.events, t.clock.now - t.config.eventRetentionSeconds * 1000);
    expect(await eventIds()).toEqual([]);
    // On PostgreSQL a stream starts where the cluster fan-out has got to: once it has gone past 'old'.
    const { eventHorizon } = t.app.services;
    if (eventHorizon.through !== null) await vi.waitFor(() => expect(eventHorizon.through).toBeGreaterThanOrEqual(newest), { timeout: 3000 });
    const first = await open(state.alice);
    const ready = (await first.until((f) => f.some((x) => x.event === 'ready'))).find((f) => f.event === 'ready')!;
    expect(Number(ready.id)).toBeGreaterThanOrEqual(newest);
    const again = await open({ ...state.alice, 'last-event-id': ready.id! });
    const frames = await again.until((f) => f.some((x) => x.event === 'ready'));
    expect(frames.some((f) => f.event === 'resync')).toBe(false);
  });
});

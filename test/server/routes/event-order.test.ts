/**
 * Appends take no lock on PostgreSQL, so an event's id may commit after a greater one's. A stream that saw
 * the greater id and moved past it would never receive the smaller one: here two transactions append, the
 * one holding the smaller id commits last, and a live stream and a stream resuming between the two commits
 * must both receive both events, in id order, each once (store/events.ts, chat/cluster-fanout.ts).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../helpers/app.js';
import { DIALECTS } from '../../helpers/databases.js';
import { fromNow, openSse, type SseFrame, type SseReader } from '../../helpers/sse.js';

describe.skipIf(!DIALECTS.includes('postgres'))('event order without a lock, on PostgreSQL', () => {
  let t: TestApp;
  let base: string;
  const streams: SseReader[] = [];

  beforeEach(async () => {
    t = await createTestApp({ dialect: 'postgres', heartbeatMs: 100 });
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
  const messages = (frames: SseFrame[]) => frames.filter((f) => f.event === 'message.created').map((f) => [Number(f.id), JSON.parse(f.data!).message.text as string]);

  it('a stream reading between the commits skips neither event: both arrive, in order, once', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/auth/exchange', payload: { externalAuthCode: await t.sign({ user: { id: 'alice', name: 'Alice' } }) } });
    const alice = { authorization: `Bearer ${res.json().session.token}` };
    const conversation = (await t.app.inject({ method: 'POST', url: '/api/v1/conversations', headers: alice, payload: {} })).json().conversation;
    const organizationId = conversation.organizationId ?? 'default';
    const start = await fromNow(t.db.store.db, alice);
    const live = await open(start);
    await live.until((f) => f.some((x) => x.event === 'ready'));
    const from = live.frames.find((f) => f.event === 'ready')!.id!;

    const { events } = t.app.services;
    const append = (trx: Parameters<typeof events.append>[0], text: string) =>
      events.append(trx, { conversationId: conversation.id, organizationId, documentId: null, type: 'message.created', payload: { message: { id: text, text } } }, t.clock.now);
    const slow = await t.db.store.db.startTransaction().execute();
    const fast = await t.db.store.db.startTransaction().execute();
    try {
      const smaller = await append(slow, 'smaller');
      const greater = await append(fast, 'greater');
      expect(greater.id).toBeGreaterThan(smaller.id);
      await fast.commit().execute();

      // Between the commits: the greater id is in the log, the smaller may still commit. A stream resuming now
      // must not be placed past the smaller id.
      const between = await open({ ...alice, 'last-event-id': from });
      await between.until((f) => f.some((x) => x.event === 'ready'));
      expect(Number(between.frames.find((f) => f.event === 'ready')!.id)).toBeLessThan(smaller.id);
      expect(t.app.services.eventHorizon.through!).toBeLessThan(smaller.id);

      await slow.commit().execute();
      const want = [
        [smaller.id, 'smaller'],
        [greater.id, 'greater'],
      ];
      for (const stream of [live, between]) expect(messages(await stream.until((f) => messages(f).length >= 2))).toEqual(want);
      // Resuming from where the between-stream started gets both too; and nothing came twice meanwhile.
      const later = await open({ ...alice, 'last-event-id': between.frames.find((f) => f.event === 'ready')!.id! });
      expect(messages(await later.until((f) => f.some((x) => x.event === 'ready')))).toEqual(want);
      await later.until((f) => f.filter((x) => x.comment === 'heartbeat').length >= 2);
      for (const stream of [live, between, later]) expect(messages(stream.frames)).toEqual(want);
    } finally {
      await slow.rollback().execute().catch(() => undefined);
      await fast.rollback().execute().catch(() => undefined);
    }
  });
});

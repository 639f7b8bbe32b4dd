/**
 * A stream whose access check of a signal throws closes (the client reconnects and is checked again), as it
 * does for an event, instead of losing its signal listener and staying open without typing or replies.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../helpers/app.js';
import { openSse } from '../../helpers/sse.js';

describe('a signal whose access check throws', () => {
  let t: TestApp | undefined;
  afterEach(async () => {
    await t?.close();
  });

  it('closes the stream', async () => {
    t = await createTestApp();
    const base = await t.app.listen({ port: 0, host: '127.0.0.1' });
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/auth/exchange', payload: { externalAuthCode: await t.sign({ user: { id: 'alice', name: 'Alice' } }) } });
    const headers = { authorization: `Bearer ${res.json().session.token}` };
    // The stream's access answers as it would, but throws for an audience naming `explode`.
    const access = t.app.services.access;
    const forStream = access.forStream.bind(access);
    access.forStream = (user) => {
      const stream = forStream(user);
      const reachesAtOnce = stream.reachesAtOnce.bind(stream);
      return Object.assign(stream, {
        reachesAtOnce: (audience: Parameters<typeof reachesAtOnce>[0]) => {
          if (audience.participantIds.includes('explode')) throw new Error('a check that fails');
          return reachesAtOnce(audience);
        },
      });
    };
    const reader = await openSse(`${base}/api/v1/events`, headers);
    await reader.until((frames) => frames.some((f) => f.event === 'ready'));
    await t.app.services.signals.publishSignal({
      type: 'typing',
      senderId: 'usr_someone',
      audience: { organizationId: 'default', documentId: null, participantIds: ['explode'], internal: false },
      data: { conversationId: 'cnv_x', userId: 'usr_someone', name: null, agent: false, ttlMs: 5000 },
    });
    await reader.ended;
    expect(reader.frames.filter((f) => f.event === 'typing')).toEqual([]);
  });
});

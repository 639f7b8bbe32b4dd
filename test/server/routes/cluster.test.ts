/**
 * Several instances on one PostgreSQL (README.md, the PostgreSQL paragraph of Where things are): a message
 * posted through one instance reaches an event stream held by another, live and once, and seats hold across
 * them.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildApp, type App } from '../../../server/src/app.js';
import { loadConfig } from '../../../server/src/config.js';
import { createTestApp, TEST_SECRET, type TestApp } from '../../helpers/app.js';
import pg from 'pg';
import { DIALECTS, POSTGRES_URL } from '../../helpers/databases.js';
import { openSse } from '../../helpers/sse.js';

describe.skipIf(!DIALECTS.includes('postgres'))('two instances on one PostgreSQL', () => {
  let a: TestApp;
  let b: App;
  beforeEach(async () => {
    a = await createTestApp({ dialect: 'postgres' });
    b = await buildApp({ config: loadConfig({ PARLEY_EXTERNAL_AUTH_SECRET: TEST_SECRET, PARLEY_SIGNIN_RATE_LIMIT: '0', PARLEY_SEAT_LIMIT: '50' }), store: a.db.store, now: () => a.clock.now, heartbeatMs: 60_000 });
    await b.ready();
  });
  afterEach(async () => {
    await b.close();
    await a.close();
  });

  it('a message posted on instance A reaches a stream on instance B live, in order, once', async () => {
    const exchange = await a.app.inject({ method: 'POST', url: '/api/v1/auth/exchange', payload: { externalAuthCode: await a.sign({ user: { id: 'alice' } }) } });
    const auth = { authorization: `Bearer ${exchange.json().session.token}` };
    const conversation = (await a.app.inject({ method: 'POST', url: '/api/v1/conversations', headers: auth, payload: {} })).json().conversation.id;
    const baseB = await b.listen({ port: 0, host: '127.0.0.1' });
    const stream = await openSse(`${baseB}/api/v1/events`, auth);
    await stream.until((f) => f.some((x) => x.event === 'ready'));
    for (const text of ['one', 'two', 'three']) {
      await a.app.inject({ method: 'POST', url: `/api/v1/conversations/${conversation}/messages`, headers: auth, payload: { text, clientMessageId: text } });
    }
    await b.inject({ method: 'POST', url: `/api/v1/conversations/${conversation}/messages`, headers: auth, payload: { text: 'four', clientMessageId: 'four' } });
    // Once: a sentinel posted after the four. The stream delivers in order, so once it has arrived, any
    // duplicate of one of the four would have arrived before it.
    await a.app.inject({ method: 'POST', url: `/api/v1/conversations/${conversation}/messages`, headers: auth, payload: { text: 'sentinel', clientMessageId: 'sentinel' } });
    const frames = await stream.until((f) => f.some((x) => x.event === 'message.created' && JSON.parse(x.data!).message.text === 'sentinel'));
    const texts = frames.filter((x) => x.event === 'message.created').map((x) => JSON.parse(x.data!).message.text);
    expect(texts).toEqual(['one', 'two', 'three', 'four', 'sentinel']);
    const ids = frames.filter((x) => x.event === 'message.created').map((x) => Number(x.id));
    expect(ids).toEqual([...ids].sort((x, y) => x - y));
    stream.close();
  });

  it('a dropped LISTEN connection comes back, and nothing committed meanwhile is lost', async () => {
    const exchange = await a.app.inject({ method: 'POST', url: '/api/v1/auth/exchange', payload: { externalAuthCode: await a.sign({ user: { id: 'bob' } }) } });
    const auth = { authorization: `Bearer ${exchange.json().session.token}` };
    const conversation = (await a.app.inject({ method: 'POST', url: '/api/v1/conversations', headers: auth, payload: {} })).json().conversation.id;
    const baseB = await b.listen({ port: 0, host: '127.0.0.1' });
    const stream = await openSse(`${baseB}/api/v1/events`, auth);
    await stream.until((f) => f.some((x) => x.event === 'ready'));
    // Kill the LISTEN connection of this test's schema (one for events and signals, and for both instances,
    // which share a store here), as a database restart or a proxy would.
    const admin = new pg.Client({ connectionString: POSTGRES_URL });
    await admin.connect();
    const killed = await admin.query(`select pg_terminate_backend(pid) from pg_stat_activity where application_name = $1`, [`parley-listen:${a.db.schema}`]);
    expect(killed.rows).toHaveLength(1);
    await admin.end();
    await a.app.inject({ method: 'POST', url: `/api/v1/conversations/${conversation}/messages`, headers: auth, payload: { text: 'while the listener was down', clientMessageId: 'down' } });
    await stream.until((f) => f.some((x) => x.event === 'message.created' && x.data!.includes('while the listener was down')), 8000);
    await a.app.inject({ method: 'POST', url: `/api/v1/conversations/${conversation}/messages`, headers: auth, payload: { text: 'after it came back', clientMessageId: 'back' } });
    await stream.until((f) => f.some((x) => x.event === 'message.created' && x.data!.includes('after it came back')), 8000);
    stream.close();
  }, 20_000);
});

/**
 * A team alert this instance knows to be pending (outbound/notifications.ts): a user's further messages do
 * not ask the database again until shortly before it is due, and only a committed transaction teaches it.
 * To see whether the database was asked, the alert's row is taken away behind the scheduler's back: a
 * scheduler that asks writes a new one.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createNotificationScheduler, PENDING_ALERT_MARGIN_MS, type NotificationScheduler } from '../../../server/src/outbound/notifications.js';
import { changesOf } from '../../../server/src/store/changes.js';
import { createTestApp, type TestApp } from '../../helpers/app.js';
import { DIALECTS } from '../../helpers/databases.js';

const AUTHOR = { id: 'usr_member', role: 'member' as const };

describe.each(DIALECTS)('a pending team alert on %s', (dialect) => {
  let t: TestApp;
  let scheduler: NotificationScheduler;
  beforeEach(async () => {
    t = await createTestApp({ dialect });
    scheduler = createNotificationScheduler({ store: t.db.store, config: t.config });
  });
  afterEach(async () => {
    await t.close();
  });

  const alerts = async (conversationId: string) =>
    (await t.db.store.db.selectFrom('outbox').select(['kind', 'status', 'next_attempt_at']).where('ordering_key', '=', `agents:${conversationId}`).execute()).map((r) => ({ ...r, next_attempt_at: Number(r.next_attempt_at) }));
  const forgetRows = (conversationId: string) => t.db.store.db.deleteFrom('outbox').where('ordering_key', '=', `agents:${conversationId}`).execute();
  /** A message's scheduling in a transaction of its own; runs what it answers once that has committed. */
  const posted = async (conversationId: string, now: number) => {
    const afterCommit = await t.db.store.db.transaction().execute((trx) => scheduler.messagePosted(trx, { conversationId, author: AUTHOR }, now));
    afterCommit?.();
  };

  it('is not asked for again until shortly before it is due, then it is', async () => {
    const start = t.clock.now;
    const due = start + t.config.agentNotifyAfterSeconds * 1000;
    await posted('cnv_a', start);
    expect(await alerts('cnv_a')).toEqual([{ kind: 'agent_notification', status: 'pending', next_attempt_at: due }]);
    await forgetRows('cnv_a');
    // Known pending: nothing asked, nothing written.
    await posted('cnv_a', start + 1000);
    await posted('cnv_a', due - PENDING_ALERT_MARGIN_MS - 1);
    expect(await alerts('cnv_a')).toEqual([]);
    // From the margin on, the database is asked again (and, finding none, gets a new one).
    await posted('cnv_a', due - PENDING_ALERT_MARGIN_MS);
    expect(await alerts('cnv_a')).toEqual([{ kind: 'agent_notification', status: 'pending', next_attempt_at: due - PENDING_ALERT_MARGIN_MS + t.config.agentNotifyAfterSeconds * 1000 }]);
  });

  it('is forgotten when the LISTEN connection comes back (a failover may have lost the row): the next message asks again', async () => {
    const start = t.clock.now;
    await posted('cnv_f', start);
    await forgetRows('cnv_f');
    await posted('cnv_f', start + 1000);
    expect(await alerts('cnv_f')).toEqual([]);
    changesOf(t.db.store).heard('*');
    await posted('cnv_f', start + 2000);
    expect(await alerts('cnv_f')).toEqual([{ kind: 'agent_notification', status: 'pending', next_attempt_at: start + 2000 + t.config.agentNotifyAfterSeconds * 1000 }]);
  });

  it('is learnt from a pending row another instance wrote, with that row’s due time', async () => {
    const start = t.clock.now;
    const other = createNotificationScheduler({ store: t.db.store, config: t.config });
    const afterOther = await t.db.store.db.transaction().execute((trx) => other.messagePosted(trx, { conversationId: 'cnv_b', author: AUTHOR }, start));
    afterOther?.();
    await posted('cnv_b', start + 10_000);
    await forgetRows('cnv_b');
    await posted('cnv_b', start + 20_000);
    expect(await alerts('cnv_b')).toEqual([]);
    // Due at the first row's time, not the second message's: asked again from that time's margin on.
    await posted('cnv_b', start + t.config.agentNotifyAfterSeconds * 1000 - PENDING_ALERT_MARGIN_MS);
    expect((await alerts('cnv_b')).length).toBe(1);
  });

  it('is not learnt from a transaction that did not commit', async () => {
    const start = t.clock.now;
    await expect(
      t.db.store.db.transaction().execute(async (trx) => {
        const afterCommit = await scheduler.messagePosted(trx, { conversationId: 'cnv_c', author: AUTHOR }, start);
        expect(afterCommit).toBeTypeOf('function');
        throw new Error('rolled back');
      }),
    ).rejects.toThrow('rolled back');
    expect(await alerts('cnv_c')).toEqual([]);
    await posted('cnv_c', start + 1000);
    expect(await alerts('cnv_c')).toEqual([{ kind: 'agent_notification', status: 'pending', next_attempt_at: start + 1000 + t.config.agentNotifyAfterSeconds * 1000 }]);
  });

  it('is not assumed while the row found is being sent', async () => {
    const start = t.clock.now;
    await t.db.store.db.transaction().execute((trx) => scheduler.messagePosted(trx, { conversationId: 'cnv_d', author: AUTHOR }, start));
    await t.db.store.db.updateTable('outbox').set({ status: 'sending' }).where('ordering_key', '=', 'agents:cnv_d').execute();
    await posted('cnv_d', start + 1000);
    await t.db.store.db.updateTable('outbox').set({ status: 'done' }).where('ordering_key', '=', 'agents:cnv_d').execute();
    await posted('cnv_d', start + 2000);
    expect((await alerts('cnv_d')).map((a) => a.status).sort()).toEqual(['done', 'pending']);
  });
});

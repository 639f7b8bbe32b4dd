/**
 * The outbox and its worker on both databases: a row exists exactly when the transaction that wrote it
 * commits; rows are sent oldest first, one at a time per ordering key (also across retries); a failed try is
 * tried again after the sender's next delay and fails for good when they are used up; a claim whose worker
 * stopped is taken over once its lease ends; instances sharing PostgreSQL never claim the same row; every
 * try is recorded; Resend sends a row again with the same id.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createOutboxRepository, OUTBOX_LEASE_MS, type OutboxRepository, type OutboxRow } from '../../../server/src/store/outbox.js';
import { createOutboxWorker, type OutboxSender, type SendOutcome } from '../../../server/src/outbound/worker.js';
import { createTestStore, DIALECTS, type TestStore } from '../../helpers/databases.js';

const T0 = Date.UTC(2026, 11, 1, 9, 0, 0);

describe.each(DIALECTS)('the outbox on %s', (dialect) => {
  let db: TestStore;
  let outbox: OutboxRepository;
  const clock = { now: T0 };
  beforeEach(async () => {
    db = await createTestStore(dialect);
    outbox = createOutboxRepository(db.store);
    clock.now = T0;
  });
  afterEach(async () => {
    await db.dispose();
  });

  /** A sender of kind `test` that answers from `script` (by payload and try) and records what it was sent. */
  function scripted(script: (payload: { n: string }, attempt: number) => SendOutcome, delays = [1000, 5000]) {
    const sent: string[] = [];
    const gaveUp: string[] = [];
    const sender: OutboxSender = {
      kind: 'test',
      retryDelaysMs: delays,
      async send(row: OutboxRow) {
        const payload = JSON.parse(row.payload) as { n: string };
        sent.push(`${payload.n}#${row.attempts}`);
        return script(payload, row.attempts);
      },
      async onGaveUp(row) {
        gaveUp.push((JSON.parse(row.payload) as { n: string }).n);
      },
    };
    return { sender, sent, gaveUp, worker: createOutboxWorker({ outbox, senders: [sender], now: () => clock.now, pollMs: 60_000 }) };
  }

  const enqueue = (items: { n: string; key?: string; dueAt?: number; id?: string }[]) =>
    db.store.db.transaction().execute((trx) => outbox.enqueue(trx, items.map((i) => ({ kind: 'test', payload: { n: i.n }, orderingKey: i.key ?? null, ...(i.dueAt ? { dueAt: i.dueAt } : {}), ...(i.id ? { id: i.id } : {}), target: 'tgt' })), clock.now));

  it('holds a row only when its transaction commits', async () => {
    await expect(
      db.store.db.transaction().execute(async (trx) => {
        await outbox.enqueue(trx, [{ kind: 'test', payload: { n: 'lost' } }], clock.now);
        throw new Error('the change failed');
      }),
    ).rejects.toThrow('the change failed');
    const [id] = await enqueue([{ n: 'kept' }]);
    expect(id).toMatch(/^out_[\w-]{16}$/);
    expect(await outbox.counts()).toEqual({ pending: 1, sending: 0, done: 0, failed: 0 });
    const { worker, sent } = scripted(() => ({ ok: true, statusCode: 200 }));
    expect(await worker.drain()).toBe(1);
    expect(sent).toEqual(['kept#1']);
    expect(await outbox.counts()).toEqual({ pending: 0, sending: 0, done: 1, failed: 0 });
  });

  it('sends in order, waits for a row’s time, and keeps one key’s rows in order across retries', async () => {
    await enqueue([
      { n: 'a1', key: 'A' },
      { n: 'b1', key: 'B' },
      { n: 'a2', key: 'A' },
      { n: 'later', dueAt: T0 + 10_000 },
    ]);
    // a1 fails once: a2 waits behind it, b1 goes on.
    const { worker, sent } = scripted((p, attempt) => (p.n === 'a1' && attempt === 1 ? { ok: false, error: 'HTTP 503', statusCode: 503 } : { ok: true, statusCode: 204 }));
    await worker.drain();
    expect(sent).toEqual(['a1#1', 'b1#1']);
    clock.now += 999;
    await worker.drain();
    expect(sent).toEqual(['a1#1', 'b1#1']);
    clock.now += 1;
    await worker.drain();
    expect(sent).toEqual(['a1#1', 'b1#1', 'a1#2', 'a2#1']);
    clock.now = T0 + 10_000;
    await worker.drain();
    expect(sent.at(-1)).toBe('later#1');

    const [a1] = await outbox.listFor('test', 'tgt', 10).then((rows) => rows.filter((r) => JSON.parse(r.payload).n === 'a1'));
    expect(a1).toMatchObject({ status: 'done', attempts: 2, last_error: null, done_at: T0 + 1000 });
    const attempts = (await outbox.attemptsOf([a1!.seq])).get(a1!.seq)!;
    expect(attempts.map((a) => [a.attempt, a.at, a.status_code, a.error])).toEqual([
      [1, T0, 503, 'HTTP 503'],
      [2, T0 + 1000, 204, null],
    ]);
  });

  it('fails a row for good when the delays are used up, or at once when a retry cannot help; a thrown error is a failed try', async () => {
    await enqueue([{ n: 'down' }, { n: 'refused' }, { n: 'throws' }]);
    const { worker, sent, gaveUp } = scripted((p) => {
      if (p.n === 'throws') throw new Error('socket hang up');
      return p.n === 'refused' ? { ok: false, error: 'HTTP 410', statusCode: 410, retry: false } : { ok: false, error: 'ECONNREFUSED' };
    });
    await worker.drain();
    clock.now += 1000;
    await worker.drain();
    clock.now += 5000;
    await worker.drain();
    clock.now += 3_600_000;
    await worker.drain();
    expect(sent).toEqual(['down#1', 'refused#1', 'throws#1', 'down#2', 'throws#2', 'down#3', 'throws#3']);
    // 'refused' at its first try; the two others in the same round, in whichever order their writes end.
    expect([gaveUp[0], [...gaveUp.slice(1)].sort()]).toEqual(['refused', ['down', 'throws']]);
    const rows = await outbox.listFor('test', 'tgt', 10);
    expect(rows.map((r) => [JSON.parse(r.payload).n, r.status, r.attempts, r.last_error])).toEqual([
      ['throws', 'failed', 3, 'socket hang up'],
      ['refused', 'failed', 1, 'HTTP 410'],
      ['down', 'failed', 3, 'ECONNREFUSED'],
    ]);
    // Resend: the same row (same id) again from now.
    const down = rows[2]!;
    expect(await outbox.resend(down.id, clock.now)).toBe(true);
    expect(await outbox.resend('out_nothing', clock.now)).toBe(false);
    const again = scripted(() => ({ ok: true, statusCode: 200 }));
    await again.worker.drain();
    expect(again.sent).toEqual(['down#1']);
    expect(await outbox.find(down.id)).toMatchObject({ id: down.id, status: 'done', attempts: 1 });
    expect((await outbox.attemptsOf([down.seq])).get(down.seq)!.map((a) => a.attempt)).toEqual([1, 2, 3, 1]);
  });

  it('keeps of a row, once sent or failed for good, only what its sender keeps; Resend counts its tries afresh', async () => {
    await enqueue([{ n: 'ok' }, { n: 'no' }]);
    const sender: OutboxSender = {
      kind: 'test',
      retryDelaysMs: [1000],
      keptPayload: (row) => JSON.stringify({ kept: (JSON.parse(row.payload) as { n: string }).n }),
      async send(row) {
        return (JSON.parse(row.payload) as { n: string }).n === 'ok' ? { ok: true } : { ok: false, error: 'refused' };
      },
    };
    const worker = createOutboxWorker({ outbox, senders: [sender], now: () => clock.now, pollMs: 60_000 });
    await worker.drain();
    const payloads = async () => (await outbox.listFor('test', 'tgt', 10)).map((r) => [r.status, r.attempts, r.payload]);
    // 'no' will be tried again: all of it stays until then.
    expect(await payloads()).toEqual([
      ['pending', 1, '{"n":"no"}'],
      ['done', 1, '{"kept":"ok"}'],
    ]);
    clock.now += 1000;
    await worker.drain();
    expect((await payloads())[0]).toEqual(['failed', 2, '{"kept":"no"}']);
    // Resend: every try again, from the first.
    const [no] = await outbox.listFor('test', 'tgt', 1);
    expect(await outbox.resend(no!.id, clock.now)).toBe(true);
    expect(await outbox.find(no!.id)).toMatchObject({ status: 'pending', attempts: 0 });
    await worker.drain();
    expect(await outbox.find(no!.id)).toMatchObject({ status: 'pending', attempts: 1, next_attempt_at: clock.now + 1000 });
    // A row being sent is not sent again meanwhile.
    await enqueue([{ n: 'busy' }]);
    const [busy] = await outbox.claim(clock.now, 10, { kinds: ['test'] }).then((rows) => rows.filter((r) => JSON.parse(r.payload).n === 'busy'));
    expect(await outbox.resend(busy!.id, clock.now)).toBe(false);
  });

  it('counts a send that does not answer within its deadline as a failed try, and goes on with the others', async () => {
    await enqueue([{ n: 'hangs' }, { n: 'fine' }]);
    const sent: string[] = [];
    const sender: OutboxSender = {
      kind: 'test',
      retryDelaysMs: [1000],
      send: (row) => {
        const n = (JSON.parse(row.payload) as { n: string }).n;
        sent.push(n);
        return n === 'hangs' ? new Promise<SendOutcome>(() => undefined) : Promise.resolve({ ok: true });
      },
    };
    const worker = createOutboxWorker({ outbox, senders: [sender], now: () => clock.now, pollMs: 60_000, sendDeadlineMs: 50 });
    await worker.drain();
    expect(sent).toEqual(['hangs', 'fine']);
    const rows = await outbox.listFor('test', 'tgt', 10);
    expect(rows.map((r) => [JSON.parse(r.payload).n, r.status, r.last_error])).toEqual([
      ['fine', 'done', null],
      ['hangs', 'pending', 'no answer within 50 ms'],
    ]);
  });

  it('takes over a claim whose worker stopped once its lease ends, and ignores the late answer of the first', async () => {
    await enqueue([{ n: 'x' }]);
    const [claimed] = await outbox.claim(clock.now, 10);
    expect(claimed).toMatchObject({ status: 'sending', attempts: 1, locked_until: T0 + OUTBOX_LEASE_MS });
    expect(await outbox.claim(clock.now + OUTBOX_LEASE_MS - 1, 10)).toEqual([]);
    clock.now += OUTBOX_LEASE_MS;
    const { worker, sent } = scripted(() => ({ ok: true }));
    await worker.drain();
    expect(sent).toEqual(['x#2']);
    // The first worker's answer, arriving after the takeover, changes nothing.
    await outbox.fail(claimed!, { durationMs: 70_000, error: 'timeout' }, clock.now, clock.now + 1000);
    expect(await outbox.find(claimed!.id)).toMatchObject({ status: 'done', attempts: 2 });
  });

  it.runIf(dialect === 'postgres')('never hands one row to two instances claiming at once', async () => {
    await enqueue(Array.from({ length: 60 }, (_, i) => ({ n: String(i) })));
    const other = createOutboxRepository(await db.elsewhere());
    const claims = await Promise.all([outbox.claim(clock.now, 25), other.claim(clock.now, 25), outbox.claim(clock.now, 25), other.claim(clock.now, 25)]);
    const ids = claims.flat().map((r) => r.id);
    expect(ids.length).toBe(60);
    expect(new Set(ids).size).toBe(60);
  });
});

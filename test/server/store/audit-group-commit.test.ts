import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAuditRepository, type AuditEntry } from '../../../server/src/store/audit.js';
import { createTestStore, DIALECTS, type TestStore } from '../../helpers/databases.js';

describe.each(DIALECTS)('audit entries recorded together, on %s', (dialect) => {
  let db: TestStore;
  beforeEach(async () => {
    db = await createTestStore(dialect);
  });
  afterEach(async () => {
    await db.dispose();
  });
  const entry = (action: string, at: number): AuditEntry => ({
    at,
    kind: 'sign_in',
    action,
    actor_id: null,
    actor_label: null,
    outcome: 'ok',
    origin: null,
    ip: '127.0.0.1',
    target: null,
  });

  it('are committed before each caller goes on, in order, and one bad entry fails only itself', async () => {
    const audit = createAuditRepository(db.store);
    const bad = { ...entry('bad', 3), outcome: null } as unknown as AuditEntry;
    const results = await Promise.allSettled([audit.record(entry('a', 1)), audit.record(entry('b', 2)), audit.record(bad), audit.record(entry('c', 4))]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    expect((await audit.list(undefined, undefined, 10)).map((r) => r.action)).toEqual(['c', 'b', 'a']);
  });

  it('take several statements past 200 entries, and lose none', async () => {
    const audit = createAuditRepository(db.store);
    await Promise.all(Array.from({ length: 450 }, (_, i) => audit.record(entry(`e${i}`, i))));
    const rows = await audit.list(undefined, undefined, 500);
    expect(rows).toHaveLength(450);
    expect(rows[0]!.action).toBe('e449');
    expect(await audit.signInsByOutcome(0)).toEqual({ ok: 450 });
  });
});

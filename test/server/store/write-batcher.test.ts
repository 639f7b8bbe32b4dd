import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createWriteBatcher } from '../../../server/src/store/write-batcher.js';
import { createTestStore, DIALECTS, type TestStore } from '../../helpers/databases.js';

describe.each(DIALECTS)('the write batcher on %s', (dialect) => {
  let db: TestStore;
  beforeEach(async () => {
    db = await createTestStore(dialect);
  });
  afterEach(async () => {
    await db.dispose();
  });
  const setting = (name: string) => (executor: typeof db.store.db) => executor.insertInto('settings').values({ name, value: '1', updated_at: 1 }).execute();

  it('commits every write before its caller goes on, and one bad write fails only itself', async () => {
    const batcher = createWriteBatcher(db.store);
    const results = await Promise.allSettled([batcher.run(setting('a')), batcher.run(setting('a')), batcher.run(setting('b')), batcher.run(setting('c'))]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
    const names = (await db.store.db.selectFrom('settings').select('name').orderBy('name').execute()).map((r) => r.name);
    expect(names).toEqual(['a', 'b', 'c']);
  });
});

/**
 * Secrets the instance makes for itself on first use, such as the key that signs session tokens. Every
 * instance sharing the database reads the same value: the first to ask creates it, the others find it.
 */
import { randomBytes } from 'node:crypto';
import type { Store } from './database.js';

export function createInstanceSecretRepository({ db }: Store) {
  return {
    /** The named 256-bit secret (base64url), created if it does not exist yet. */
    async get(name: string, now: number): Promise<string> {
      await db
        .insertInto('instance_secrets')
        .values({ name, value: randomBytes(32).toString('base64url'), created_at: now })
        .onConflict((oc) => oc.column('name').doNothing())
        .execute();
      const row = await db.selectFrom('instance_secrets').select('value').where('name', '=', name).executeTakeFirstOrThrow();
      return row.value;
    },
  };
}

export type InstanceSecretRepository = ReturnType<typeof createInstanceSecretRepository>;

/**
 * One-time codes (PARLEY_REQUIRE_JTI): the (issuer, jti) pairs already used, kept until the token they came
 * from expires. The claim is one insert, so two instances racing on one code cannot both win.
 */
import type { Store } from './database.js';

const PURGE_EVERY = 500;

export function createJtiRepository({ db }: Store) {
  let claims = 0;
  return {
    /** True the first time a pair is claimed, false ever after (until it expires). */
    async claim(issuer: string, jti: string, expiresAt: number, now: number): Promise<boolean> {
      if (++claims % PURGE_EVERY === 0) await db.deleteFrom('used_jtis').where('expires_at', '<', now).execute();
      const inserted = await db
        .insertInto('used_jtis')
        .values({ issuer, jti, expires_at: expiresAt })
        .onConflict((oc) => oc.columns(['issuer', 'jti']).doNothing())
        .returning('jti')
        .executeTakeFirst();
      return inserted !== undefined;
    },
  };
}

export type JtiRepository = ReturnType<typeof createJtiRepository>;

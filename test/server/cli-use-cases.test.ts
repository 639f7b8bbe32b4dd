/**
 * The CLI acts through the application layer as its own actor ("parley CLI", an owner's rights): every
 * change it makes is in the audit log with its real outcome, and its inputs follow the same field rules as
 * every other door (shared/src/fields.ts).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../server/src/cli/run.js';
import { openStore, type Store } from '../../server/src/store/database.js';

const dir = mkdtempSync(join(tmpdir(), 'parley-cli-uc-'));
const env = { DATABASE_URL: `sqlite:${join(dir, 'p.db')}`, LOG_LEVEL: 'info' };
const clock = { now: Date.UTC(2026, 5, 1, 9, 0, 0) };
let store: Store;

async function run(args: string[]) {
  let stdout = '';
  let stderr = '';
  const status = await runCli([...args, '--json'], { stdout: { write: (s) => void (stdout += s) }, stderr: { write: (s) => void (stderr += s) }, env, now: () => clock.now });
  return { status, stderr, body: JSON.parse(stdout) as Record<string, unknown> & { error?: { code: string; message: string } } };
}

const auditRows = () => store.db.selectFrom('audit_log').select(['action', 'actor_id', 'actor_label', 'outcome', 'target', 'at']).orderBy('id').execute();

beforeAll(async () => {
  // The first command migrates the database; the test then reads it through its own connection.
  expect((await run(['keys', 'list'])).status).toBe(0);
  store = await openStore({ kind: 'sqlite', path: join(dir, 'p.db') });
});
afterAll(async () => {
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('the CLI as an actor of the use cases', () => {
  it('token on an instance without a key creates one through the use case, audited as the CLI', async () => {
    const before = (await auditRows()).length;
    const token = await run(['token', '--user-id', 'ada']);
    expect(token.status).toBe(0);
    const kid = token.body['kid'] as string;
    expect((await auditRows()).slice(before)).toEqual([{ action: 'key.create', actor_id: null, actor_label: 'parley CLI', outcome: 'ok', target: kid, at: clock.now }]);
  });

  it('a refused change is audited with its code, not as a success', async () => {
    const before = (await auditRows()).length;
    const revoke = await run(['api-credentials', 'revoke', 'pk_nothing']);
    expect(revoke.status).toBe(1);
    expect(revoke.body.error).toEqual({ code: 'usage', message: 'no active credential pk_nothing' });
    const retire = await run(['keys', 'retire', 'k_000000000000']);
    expect(retire.body.error).toEqual({ code: 'key_not_found', message: 'no active key k_000000000000' });
    expect((await auditRows()).slice(before).map((e) => [e.action, e.outcome, e.target])).toEqual([
      ['api_credential.revoke', 'api_credential_not_found', 'pk_nothing'],
      ['key.retire', 'key_not_found', 'k_000000000000'],
    ]);
  });

  it('a credential it creates and revokes is audited under the credential’s apiKey', async () => {
    const created = await run(['api-credentials', 'create', '--name', 'backend']);
    expect(created.status).toBe(0);
    const apiKey = created.body['apiKey'] as string;
    expect((await run(['api-credentials', 'revoke', apiKey])).status).toBe(0);
    const entries = (await auditRows()).filter((e) => e.target === apiKey).map((e) => [e.action, e.actor_label, e.outcome]);
    expect(entries).toEqual([
      ['api_credential.create', 'parley CLI', 'ok'],
      ['api_credential.revoke', 'parley CLI', 'ok'],
    ]);
  });
});

describe('CLI inputs follow the field rules of every other door', () => {
  it.each([
    [['token', '--user-id', 'Jose\u0301'], '--user-id must be in Unicode NFC'],
    [['token', '--user-id', 'del\u007f'], '--user-id must not contain control characters'],
    [['token', '--user-id', 'ada', '--name', 'Ada\nLovelace'], '--name must not contain control characters'],
    [['token', '--user-id', 'ada', '--email', '\u212Aevin@example.com'], '--email '],
    [['admin', 'create-owner', '--email', 'not-an-email'], '--email '],
    [['seats', 'set', '1000000000'], 'seats set N must be a whole number from 0 to 999,999,999'],
  ])('%j is a usage error naming the flag', async (args, message) => {
    const result = await run(args);
    expect(result.status).toBe(1);
    expect(result.body.error?.code).toBe('usage');
    expect(result.body.error?.message.startsWith(message)).toBe(true);
  });
});

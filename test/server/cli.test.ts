/**
 * The `parley` commands, run in process through `runCli` with buffers for stdout and stderr, an environment
 * of their own (nothing of the test's PARLEY_* or DATABASE_URL leaks in) and a clock the test controls:
 * `token`, `keys`, `admin`, `users` and `seats` work against the same database, in text and with `--json`,
 * and a bad configuration stops `serve` before it starts. What needs a real process (the exit code of the
 * built program, listening, signals) is in process.test.ts.
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../server/src/cli/run.js';
import type { Config } from '../../server/src/config.js';
import { openStore, type Store } from '../../server/src/store/database.js';
import { createUserRepository, type NewUser, type UserRow } from '../../server/src/store/users.js';
import { createRevokedSessionRepository } from '../../server/src/store/sessions.js';
import { createInstanceSecretRepository } from '../../server/src/store/instance-secrets.js';
import { createSessions, type Sessions } from '../../server/src/auth/sessions.js';

const dir = mkdtempSync(join(tmpdir(), 'parley-cli-'));
const env = { DATABASE_URL: `sqlite:${join(dir, 'p.db')}`, LOG_LEVEL: 'info' };
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The clock of every command (and of the sessions below). */
const clock = { now: Date.UTC(2026, 2, 1, 12, 0, 0) };

interface Ran {
  status: number;
  stdout: string;
  stderr: string;
}

/** `parley <args…>` with `env` plus `extra`; `serve` is given a server that must not start. */
async function run(args: string[], extra: Record<string, string> = {}): Promise<Ran> {
  let stdout = '';
  let stderr = '';
  const status = await runCli(args, {
    stdout: { write: (s) => void (stdout += s) },
    stderr: { write: (s) => void (stderr += s) },
    env: { ...env, ...extra },
    now: () => clock.now,
    serve: async () => {
      throw new Error('serve must not start in these tests');
    },
  });
  return { status, stdout, stderr };
}

/** Runs a command with `--json`: stdout must be exactly one JSON document, whatever the outcome. */
async function runJson(args: string[], extra: Record<string, string> = {}) {
  const result = await run([...args, '--json'], extra);
  return { status: result.status, stderr: result.stderr, body: JSON.parse(result.stdout) as Record<string, unknown> & { error?: { code: string; message: string } } };
}

/** Failures print their message, never a stack trace. */
const noStack = (stderr: string) => expect(stderr).not.toMatch(/^\s+at /m);

describe('parley serve, in process', () => {
  it.each([
    ['PARLEY_SEAT_LIMIT', '-1'],
    ['PARLEY_EXTERNAL_AUTH_SECRET', '0123456789'],
    ['DATABASE_URL', 'postgres://'],
  ])('stops the boot when %s=%s, naming the variable (and not its value)', async (variable, value) => {
    const result = await run(['serve', '--port', '0'], { [variable]: value });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(variable);
    expect(result.stderr.startsWith('parley: Invalid configuration:\n')).toBe(true);
    expect(result.stderr).not.toContain(value);
    expect(result.stdout).toBe('');
    noStack(result.stderr);
  });

  it('hands serve the configuration with its flags, and answers 0 once it listens; without a server it fails', async () => {
    const served: Config[] = [];
    let stdout = '';
    const status = await runCli(['serve', '--port', '0', '--host', '0.0.0.0'], {
      stdout: { write: (s) => void (stdout += s) },
      stderr: { write: () => undefined },
      env: { ...env, PORT: '4000' },
      serve: async (config) => void served.push(config),
    });
    expect(status).toBe(0);
    expect(stdout).toBe('');
    expect(served.map((c) => [c.port, c.host])).toEqual([[0, '0.0.0.0']]);

    let stderr = '';
    const without = await runCli(['serve'], { stdout: { write: () => undefined }, stderr: { write: (s) => void (stderr += s) }, env });
    expect(without).toBe(1);
    expect(stderr).toBe('parley: serve runs only as the parley program (runCli was given no io.serve)\n');
  });
});

describe('parley help', () => {
  it('prints the usage on stdout: 2 without a command, 0 when asked', async () => {
    const bare = await run([]);
    expect(bare.status).toBe(2);
    expect(bare.stdout.startsWith('Usage: parley <command> [options]\n')).toBe(true);
    expect(bare.stdout).toContain('  --seat-limit               PARLEY_SEAT_LIMIT\n');
    expect(bare.stderr).toBe('');
    expect(await run(['help'])).toEqual({ status: 0, stdout: bare.stdout, stderr: '' });
    expect(await run(['keys', '--help'])).toEqual({ status: 0, stdout: bare.stdout, stderr: '' });
  });

  it('an unknown command is a usage error, with the usage on stderr', async () => {
    const usage = (await run(['help'])).stdout;
    expect(await run(['frobnicate'])).toEqual({ status: 1, stdout: '', stderr: `parley: unknown command frobnicate\n\n${usage}` });
  });
});

describe('parley keys and token', () => {
  it('creates, lists and retires keys; a new secret is printed once', async () => {
    const created = await run(['keys', 'create']);
    expect(created.status).toBe(0);
    const kid = /kid:\s+(k_[0-9a-f]{12})/.exec(created.stdout)![1]!;
    expect(created.stdout).toMatch(/^kid: {4}k_[0-9a-f]{12}\nsecret: [A-Za-z0-9_-]{43}\n$/);
    expect(created.stderr).toBe('The secret is shown once: store it in your backend now. Sign HS256 tokens with it and put the kid in their header.\n');
    const listed = await run(['keys', 'list']);
    expect(listed.stdout).toContain(kid);
    expect(listed.stdout).toContain(`active    HS256, created ${new Date(clock.now).toISOString()}, never used`);
    expect(listed.stdout).not.toMatch(/[A-Za-z0-9_-]{43}/);
    expect((await run(['keys', 'retire', kid])).stdout).toContain(`retired ${kid}`);
    expect((await run(['keys', 'list'])).stdout).toMatch(new RegExp(`${kid}\\s+retired`));
    const again = await run(['keys', 'retire', kid]);
    expect(again.status).toBe(1);
    expect(again.stderr).toContain(`no active key ${kid}`);
  });

  it('token prints the token, the hosted-page URL and the widget tag', async () => {
    const result = await run(['token', '--user-id', 'alice', '--email', 'alice@example.com'], { PARLEY_EXTERNAL_AUTH_SECRET: 's'.repeat(40) });
    expect(result.status).toBe(0);
    const token = result.stdout.split('\n')[1]!;
    expect(token).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    const payload = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString());
    expect(payload.user).toEqual({ id: 'alice', email: 'alice@example.com' });
    // Issued by the injected clock, valid for the default hour.
    expect(payload.iat).toBe(clock.now / 1000);
    expect(payload.exp - payload.iat).toBe(3600);
    expect(result.stdout).toContain(`http://127.0.0.1:3000/?externalAuthCode=${token}`);
    expect(result.stdout).toContain(`<script defer data-external-auth-code="${token}" src="http://127.0.0.1:3000/widget.js"></script>`);
  });

  it('keys add registers a public key (PEM or JWK) and refuses a private one; add-jwks wants https', async () => {
    const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const pemFile = join(dir, 'pub.pem');
    writeFileSync(pemFile, pair.publicKey.export({ type: 'spki', format: 'pem' }));
    const added = await run(['keys', 'add', '--kid', 'acme-2026', '--alg', 'ES256', '--public-key', pemFile]);
    expect(added.stdout).toContain('registered ES256 public key acme-2026');
    expect((await run(['keys', 'list'])).stdout).toMatch(/acme-2026\s+active\s+ES256/);
    const privateFile = join(dir, 'private.pem');
    writeFileSync(privateFile, pair.privateKey.export({ type: 'pkcs8', format: 'pem' }));
    const refused = await run(['keys', 'add', '--kid', 'oops', '--alg', 'ES256', '--public-key', privateFile]);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain('private key');
    expect((await run(['keys', 'add', '--kid', 'acme-2026', '--alg', 'ES256', '--public-key', pemFile])).stderr).toContain('exists already');
    expect((await run(['keys', 'add-jwks', '--url', 'http://keys.example.com/jwks.json'])).stderr).toContain('https');
    expect((await run(['keys', 'add-jwks', '--url', 'https://keys.example.com/jwks.json'])).stdout).toMatch(/registered JWK Set jwks_[0-9a-f]{12} → https:\/\/keys.example.com\/jwks.json/);
  });

  it('admin create-owner prints a one-time owner link; sign-in-link needs an existing owner or admin', async () => {
    const created = await run(['admin', 'create-owner', '--email', 'boss@example.com']);
    expect(created.status).toBe(0);
    expect(created.stdout).toMatch(/http:\/\/127\.0\.0\.1:3000\/admin\/setup\?token=[A-Za-z0-9_-]{43}\n/);
    const refused = await run(['admin', 'sign-in-link', '--email', 'nobody@example.com']);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain('No active owner or admin has the email nobody@example.com');
    expect((await run(['admin', 'create-owner'])).stderr).toContain('--email');
  });

  it('token without --user-id is a usage error', async () => {
    const result = await run(['token']);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('--user-id');
  });
});

describe('parley --json', () => {
  it('keys create, list and retire each print one JSON document; a failure prints the error code', async () => {
    const created = await runJson(['keys', 'create']);
    expect(created.status).toBe(0);
    expect(created.body).toEqual({ kid: expect.stringMatching(/^k_[0-9a-f]{12}$/), secret: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/) });
    const kid = created.body.kid as string;

    const listed = await runJson(['keys', 'list']);
    expect(listed.status).toBe(0);
    expect(listed.body.enabled).toBe(true);
    const keys = listed.body.keys as Record<string, unknown>[];
    expect(keys.find((k) => k.kid === kid)).toEqual({ kid, alg: 'HS256', source: 'database', jwksUrl: null, createdAt: new Date(clock.now).toISOString(), lastUsedAt: null, retiredAt: null });
    expect(JSON.stringify(listed.body)).not.toContain(created.body.secret as string);
    const withEnv = await runJson(['keys', 'list'], { PARLEY_EXTERNAL_AUTH_SECRET: 's'.repeat(40) });
    expect((withEnv.body.keys as Record<string, unknown>[])[0]).toEqual({ kid: 'env', alg: 'HS256', source: 'environment', jwksUrl: null, createdAt: null, lastUsedAt: null, retiredAt: null });

    clock.now += 60_000;
    const retired = await runJson(['keys', 'retire', kid]);
    expect(retired.status).toBe(0);
    expect(retired.body).toEqual({ key: expect.objectContaining({ kid, retiredAt: new Date(clock.now).toISOString() }) });
    const again = await runJson(['keys', 'retire', kid]);
    expect(again.status).toBe(1);
    expect(again.body).toEqual({ error: { code: 'key_not_found', message: `no active key ${kid}` } });
    expect(again.stderr).toContain(`no active key ${kid}`);
    noStack(again.stderr);
  });

  it('admin create-owner and token print JSON; a usage error is a JSON error too', async () => {
    const owner = await runJson(['admin', 'create-owner', '--email', 'json-boss@example.com']);
    expect(owner.status).toBe(0);
    expect(owner.body).toEqual({ link: expect.stringMatching(/^http:\/\/127\.0\.0\.1:3000\/admin\/setup\?token=[A-Za-z0-9_-]{43}$/) });
    const refused = await runJson(['admin', 'sign-in-link', '--email', 'nobody@example.com']);
    expect(refused.status).toBe(1);
    expect(refused.body.error).toEqual({ code: 'admin_required', message: 'No active owner or admin has the email nobody@example.com.' });
    noStack(refused.stderr);

    const token = await runJson(['token', '--user-id', 'alice'], { PARLEY_EXTERNAL_AUTH_SECRET: 's'.repeat(40) });
    expect(token.status).toBe(0);
    const code = token.body.externalAuthCode as string;
    expect(token.body).toEqual({
      externalAuthCode: expect.stringMatching(/^[\w-]+\.[\w-]+\.[\w-]+$/),
      kid: 'env',
      hostedPageUrl: `http://127.0.0.1:3000/?externalAuthCode=${code}`,
      widgetTag: `<script defer data-external-auth-code="${code}" src="http://127.0.0.1:3000/widget.js"></script>`,
    });

    const usage = await runJson(['admin', 'create-owner']);
    expect(usage.status).toBe(1);
    expect(usage.body.error?.code).toBe('usage');
    expect(usage.body.error?.message).toContain('--email');
  });
});

describe('parley users and seats', () => {
  // A database of its own, with accounts made the way the server makes them.
  const database = join(dir, 'users.db');
  const usersEnv = { DATABASE_URL: `sqlite:${database}` };
  const T0 = Date.UTC(2026, 2, 1);
  let store: Store;
  let owner: UserRow;
  let alice: UserRow;
  let bob: UserRow;
  let aliceSession: string;
  let sessions: Sessions;

  const account = (externalId: string | null, email: string | null, name: string, role: NewUser['role'] = 'member', createdVia: NewUser['createdVia'] = 'external_token'): NewUser => ({
    externalId,
    email,
    name,
    avatarUrl: null,
    metadata: {},
    role,
    organizationId: 'default',
    createdVia,
  });

  beforeAll(async () => {
    store = await openStore({ kind: 'sqlite', path: database });
    const users = createUserRepository(store);
    const create = async (input: NewUser, at: number) => {
      const created = await users.createWithinSeatLimit(input, 100, at);
      if (!created.ok) throw new Error(created.reason);
      return created.user;
    };
    owner = await create(account(null, 'owner@example.com', 'Olga Owner', 'owner', 'owner_link'), T0);
    alice = await create(account('alice', 'alice@example.com', 'Alice'), T0 + 1000);
    bob = await create(account('bob', null, 'Bob'), T0 + 2000);
    // The test's own view of sessions, on its own connection and with its caches: the CLI's changes,
    // committed on another connection, must reach it.
    sessions = createSessions({ secrets: createInstanceSecretRepository(store), revoked: createRevokedSessionRepository(store), users, now: () => clock.now });
    aliceSession = (await sessions.create(alice, clock.now, 3_600_000)).token;
    expect((await sessions.findValid(aliceSession, clock.now))?.user.active).toBe(1);
  });
  afterAll(() => store.close());

  const users = (args: string[], extra: Record<string, string> = {}) => run(['users', ...args], { ...usersEnv, ...extra });
  const usersJson = (args: string[], extra: Record<string, string> = {}) => runJson(['users', ...args], { ...usersEnv, ...extra });
  const seatsJson = (args: string[], extra: Record<string, string> = {}) => runJson(['seats', ...args], { ...usersEnv, ...extra });

  it('users list: newest first, as the admin API shows accounts, with search and paging', async () => {
    const listed = await usersJson(['list']);
    expect(listed.status).toBe(0);
    expect(listed.body).toEqual({
      users: [
        {
          id: bob.id,
          externalId: 'bob',
          email: null,
          name: 'Bob',
          avatarUrl: null,
          role: 'member',
          organizationId: 'default',
          createdAt: new Date(T0 + 2000).toISOString(),
          active: true,
          createdVia: 'external_token',
          lastSeenAt: null,
        },
        expect.objectContaining({ id: alice.id, email: 'alice@example.com' }),
        expect.objectContaining({ id: owner.id, role: 'owner', createdVia: 'owner_link' }),
      ],
      nextCursor: null,
      total: 3,
    });

    const found = await usersJson(['list', '--q', 'ALI']);
    expect((found.body.users as UserRow[]).map((u) => u.id)).toEqual([alice.id]);
    expect(found.body.total).toBe(1);

    const first = await usersJson(['list', '--limit', '2']);
    expect((first.body.users as UserRow[]).map((u) => u.id)).toEqual([bob.id, alice.id]);
    expect(first.body.nextCursor).toEqual(expect.any(String));
    const second = await usersJson(['list', '--limit', '2', '--cursor', first.body.nextCursor as string]);
    expect((second.body.users as UserRow[]).map((u) => u.id)).toEqual([owner.id]);
    expect(second.body.nextCursor).toBeNull();

    const text = await users(['list', '--limit', '2']);
    expect(text.status).toBe(0);
    const lines = text.stdout.trim().split('\n');
    expect(lines[0]).toMatch(new RegExp(`^${bob.id}\\s+member\\s+active\\s+external_token\\s+Bob · external id bob, never seen$`));
    expect(lines[1]).toContain('Alice · alice@example.com · external id alice');
    expect(lines[2]).toBe('2 shown of 3.');
    expect(lines[3]).toBe(`Next page: parley users list --limit 2 --cursor ${first.body.nextCursor as string}`);
    expect((await users(['list', '--q', 'nobody'])).stdout).toBe('No account matches "nobody".\n');

    for (const limit of ['0', 'x', '1001']) {
      const bad = await users(['list', '--limit', limit]);
      expect(bad.status).toBe(1);
      expect(bad.stderr).toContain('--limit must be a whole number from 1 to 1000');
    }
  });

  it('deactivate frees the seat and ends the sessions; reactivate needs a free seat; the last owner stays', async () => {
    expect((await seatsJson(['set', '3'])).body).toEqual({ seatLimit: 3, used: 3 });

    // --json before the id: the id stays positional.
    const deactivated = await runJson(['users', 'deactivate', '--json', alice.id], usersEnv);
    expect(deactivated.status).toBe(0);
    expect(deactivated.body).toEqual({ user: expect.objectContaining({ id: alice.id, active: false }) });
    // The CLI committed on its own connection: the test's store sees it from its next event-loop turn
    // (read-cache.ts), as a server sees a commit of the CLI's process.
    await new Promise((resolve) => setImmediate(resolve));
    expect(await sessions.findValid(aliceSession, clock.now)).toBeUndefined();

    // Two seats used of three; lowering the limit to two leaves no free seat.
    expect((await seatsJson(['set', '2'])).body).toEqual({ seatLimit: 2, used: 2 });
    const full = await usersJson(['reactivate', alice.id]);
    expect(full.status).toBe(1);
    expect(full.body.error?.code).toBe('seat_limit_reached');
    expect(full.stderr).toBe('parley: Every seat on this instance is taken. Contact your administrator.\n');
    expect((await createUserRepository(store).findById(alice.id))?.active).toBe(0);

    const raised = await run(['seats', 'set', '3'], usersEnv);
    expect(raised.stdout).toBe('Seat limit set to 3 (2 in use).\n');
    const reactivated = await usersJson(['reactivate', alice.id]);
    expect(reactivated.status).toBe(0);
    expect(reactivated.body).toEqual({ user: expect.objectContaining({ id: alice.id, active: true }) });
    // Reactivating an active account changes nothing.
    expect((await usersJson(['reactivate', alice.id])).body).toEqual({ user: expect.objectContaining({ id: alice.id, active: true }) });

    const text = await users(['deactivate', bob.id]);
    expect(text.status).toBe(0);
    expect(text.stdout).toContain(`${bob.id} `);
    expect(text.stdout).toContain('Deactivated: its seat is free and every session of the account has ended.');

    // The shell acts as an owner, but the last owner still cannot be deactivated.
    const lastOwner = await usersJson(['deactivate', owner.id]);
    expect(lastOwner.status).toBe(1);
    expect(lastOwner.body.error?.code).toBe('last_owner');
    expect(lastOwner.stderr).toBe('parley: The last owner cannot be removed, demoted or deactivated.\n');
    expect((await createUserRepository(store).findById(owner.id))?.active).toBe(1);

    const unknown = await usersJson(['deactivate', 'usr_nobody']);
    expect(unknown.status).toBe(1);
    expect(unknown.body.error?.code).toMatch(/_not_found$/);
    noStack(unknown.stderr);
    const missing = await users(['reactivate']);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain('users reactivate needs an account ID');

    // Each action is in the audit log, with the CLI as the actor, its outcome, and the injected clock's time.
    const audit = await store.db.selectFrom('audit_log').select(['action', 'actor_label', 'outcome', 'target', 'at']).where('actor_label', '=', 'parley CLI').orderBy('id').execute();
    const entry = (action: string, outcome: unknown, target: string) => ({ action, actor_label: 'parley CLI', outcome, target, at: clock.now });
    expect(audit.filter((e) => e.action.startsWith('user.'))).toEqual([
      entry('user.deactivate', 'ok', alice.id),
      entry('user.reactivate', 'seat_limit_reached', alice.id),
      entry('user.reactivate', 'ok', alice.id),
      entry('user.reactivate', 'ok', alice.id),
      entry('user.deactivate', 'ok', bob.id),
      entry('user.deactivate', 'last_owner', owner.id),
      entry('user.deactivate', expect.stringMatching(/_not_found$/), 'usr_nobody'),
    ]);
  });

  it('seats set refuses a limit fixed by PARLEY_SEAT_LIMIT, and a value that is not a whole number', async () => {
    const before = await store.db.selectFrom('settings').select('value').where('name', '=', 'seatLimit').executeTakeFirst();
    const locked = await seatsJson(['set', '10'], { PARLEY_SEAT_LIMIT: '4' });
    expect(locked.status).toBe(1);
    expect(locked.body.error?.code).toBe('setting_locked');
    expect(locked.stderr).toContain('The seat limit is fixed by PARLEY_SEAT_LIMIT in the environment');
    noStack(locked.stderr);
    const text = await run(['seats', 'set', '10'], { ...usersEnv, PARLEY_SEAT_LIMIT: '4' });
    expect(text.status).toBe(1);
    expect(text.stdout).toBe('');
    expect(await store.db.selectFrom('settings').select('value').where('name', '=', 'seatLimit').executeTakeFirst()).toEqual(before);

    for (const value of ['-1', 'ten', '1.5']) {
      const bad = await run(['seats', 'set', value], usersEnv);
      expect(bad.status).toBe(1);
      expect(bad.stderr).toContain('seats set N must be a whole number from 0');
    }
    expect((await run(['seats'], usersEnv)).stderr).toContain('seats needs set N');

    // Below the accounts in use: allowed, and said.
    const low = await run(['seats', 'set', '1'], usersEnv);
    expect(low.status).toBe(0);
    expect(low.stdout).toBe('Seat limit set to 1 (2 in use).\n');
    expect(low.stderr).toContain('More accounts are active than the new limit allows');
  });

  it('admin sign-in-link prints a link for an owner that the clock makes valid for 15 minutes', async () => {
    const signIn = await runJson(['admin', 'sign-in-link', '--email', 'owner@example.com'], usersEnv);
    expect(signIn.status).toBe(0);
    expect(signIn.body).toEqual({ link: expect.stringMatching(/^http:\/\/127\.0\.0\.1:3000\/admin\/setup\?token=[A-Za-z0-9_-]{43}$/) });
    const links = await store.db.selectFrom('admin_links').select(['purpose', 'user_id', 'created_at', 'expires_at', 'used_at']).execute();
    expect(links).toEqual([{ purpose: 'sign_in', user_id: owner.id, created_at: clock.now, expires_at: clock.now + 15 * 60_000, used_at: null }]);
  });
});

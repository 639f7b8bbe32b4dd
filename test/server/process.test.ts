/**
 * The built `parley` process: boot refuses bad configuration with a non-zero exit and a message naming the
 * variable; PORT=0 listens and logs the port; `token`, `keys`, `admin`, `users` and `seats` work against the
 * same database, in text and with `--json`.
 */
import { spawn, spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../server/src/paths.js';
import { openStore, type Store } from '../../server/src/store/database.js';
import { createUserRepository, type NewUser, type UserRow } from '../../server/src/store/users.js';
import { createRevokedSessionRepository } from '../../server/src/store/sessions.js';
import { createInstanceSecretRepository } from '../../server/src/store/instance-secrets.js';
import { createSessions, type Sessions } from '../../server/src/auth/sessions.js';

const CLI = join(PROJECT_ROOT, 'dist/server/cli.js');
const dir = mkdtempSync(join(tmpdir(), 'parley-cli-'));
const env = { ...process.env, DATABASE_URL: `sqlite:${join(dir, 'p.db')}`, LOG_LEVEL: 'info' };
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const run = (args: string[], extra: Record<string, string> = {}) =>
  spawnSync(process.execPath, [CLI, ...args], { env: { ...env, ...extra }, encoding: 'utf8', timeout: 15_000 });

/** Runs a command with `--json`: stdout must be exactly one JSON document, whatever the outcome. */
function runJson(args: string[], extra: Record<string, string> = {}) {
  const result = run([...args, '--json'], extra);
  return { status: result.status, stderr: result.stderr, body: JSON.parse(result.stdout) as Record<string, unknown> & { error?: { code: string; message: string } } };
}

/** Failures print their message, never a stack trace. */
const noStack = (stderr: string) => expect(stderr).not.toMatch(/^\s+at /m);

describe('parley serve', () => {
  it.each([
    ['PARLEY_SEAT_LIMIT', '-1'],
    ['PARLEY_EXTERNAL_AUTH_SECRET', '0123456789'],
    ['DATABASE_URL', 'postgres://'],
  ])('stops the boot when %s=%s, naming the variable', (variable, value) => {
    const result = run(['serve', '--port', '0'], { [variable]: value });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(variable);
    expect(result.stdout).not.toContain('listening');
  });

  it('listens on PORT=0, logs the port, answers /healthz and stops on SIGTERM', async () => {
    const child = spawn(process.execPath, [CLI, 'serve'], { env: { ...env, PORT: '0' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no listen line in: ${output}`)), 10_000);
      child.stdout.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        const match = /on port (\d+)/.exec(output);
        if (match) {
          clearTimeout(timer);
          resolve(Number(match[1]));
        }
      });
    });
    expect(port).toBeGreaterThan(0);
    const health = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });
    expect(output).toContain(`public URL http://127.0.0.1:${port}`);
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});

describe('parley keys and token', () => {
  it('creates, lists and retires keys; a new secret is printed once', () => {
    const created = run(['keys', 'create']);
    expect(created.status).toBe(0);
    const kid = /kid:\s+(k_[0-9a-f]{12})/.exec(created.stdout)![1]!;
    expect(created.stdout).toMatch(/secret: [A-Za-z0-9_-]{43}\n/);
    const listed = run(['keys', 'list']);
    expect(listed.stdout).toContain(kid);
    expect(listed.stdout).toContain('active');
    expect(listed.stdout).not.toMatch(/[A-Za-z0-9_-]{43}/);
    expect(run(['keys', 'retire', kid]).stdout).toContain(`retired ${kid}`);
    expect(run(['keys', 'list']).stdout).toMatch(new RegExp(`${kid}\\s+retired`));
    const again = run(['keys', 'retire', kid]);
    expect(again.status).toBe(1);
    expect(again.stderr).toContain(`no active key ${kid}`);
  });

  it('token prints the token, the hosted-page URL and the widget tag', () => {
    const result = run(['token', '--user-id', 'alice', '--email', 'alice@example.com'], { PARLEY_EXTERNAL_AUTH_SECRET: 's'.repeat(40) });
    expect(result.status).toBe(0);
    const token = result.stdout.split('\n')[1]!;
    expect(token).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    const payload = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString());
    expect(payload.user).toEqual({ id: 'alice', email: 'alice@example.com' });
    expect(payload.exp - payload.iat).toBe(3600);
    expect(result.stdout).toContain(`http://127.0.0.1:3000/?externalAuthCode=${token}`);
    expect(result.stdout).toContain(`<script defer data-external-auth-code="${token}" src="http://127.0.0.1:3000/widget.js"></script>`);
  });

  it('keys add registers a public key (PEM or JWK) and refuses a private one; add-jwks wants https', () => {
    const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const pemFile = join(dir, 'pub.pem');
    writeFileSync(pemFile, pair.publicKey.export({ type: 'spki', format: 'pem' }));
    const added = run(['keys', 'add', '--kid', 'acme-2026', '--alg', 'ES256', '--public-key', pemFile]);
    expect(added.stdout).toContain('registered ES256 public key acme-2026');
    expect(run(['keys', 'list']).stdout).toMatch(/acme-2026\s+active\s+ES256/);
    const privateFile = join(dir, 'private.pem');
    writeFileSync(privateFile, pair.privateKey.export({ type: 'pkcs8', format: 'pem' }));
    const refused = run(['keys', 'add', '--kid', 'oops', '--alg', 'ES256', '--public-key', privateFile]);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain('private key');
    expect(run(['keys', 'add', '--kid', 'acme-2026', '--alg', 'ES256', '--public-key', pemFile]).stderr).toContain('exists already');
    expect(run(['keys', 'add-jwks', '--url', 'http://keys.example.com/jwks.json']).stderr).toContain('https');
    expect(run(['keys', 'add-jwks', '--url', 'https://keys.example.com/jwks.json']).stdout).toMatch(/registered JWK Set jwks_[0-9a-f]{12} → https:\/\/keys.example.com\/jwks.json/);
  });

  it('admin create-owner prints a one-time owner link; sign-in-link needs an existing owner or admin', () => {
    const created = run(['admin', 'create-owner', '--email', 'boss@example.com']);
    expect(created.status).toBe(0);
    expect(created.stdout).toMatch(/http:\/\/127\.0\.0\.1:3000\/admin\/setup\?token=[A-Za-z0-9_-]{43}\n/);
    const refused = run(['admin', 'sign-in-link', '--email', 'nobody@example.com']);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain('No active owner or admin has the email nobody@example.com');
    expect(run(['admin', 'create-owner']).stderr).toContain('--email');
  });

  it('token without --user-id is a usage error', () => {
    const result = run(['token']);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('--user-id');
  });
});

describe('parley --json', () => {
  it('keys create, list and retire each print one JSON document; a failure prints the error code', () => {
    const created = runJson(['keys', 'create']);
    expect(created.status).toBe(0);
    expect(created.body).toEqual({ kid: expect.stringMatching(/^k_[0-9a-f]{12}$/), secret: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/) });
    const kid = created.body.kid as string;

    const listed = runJson(['keys', 'list']);
    expect(listed.status).toBe(0);
    expect(listed.body.enabled).toBe(true);
    const keys = listed.body.keys as Record<string, unknown>[];
    expect(keys.find((k) => k.kid === kid)).toEqual({ kid, alg: 'HS256', source: 'database', jwksUrl: null, createdAt: expect.any(String), lastUsedAt: null, retiredAt: null });
    expect(JSON.stringify(listed.body)).not.toContain(created.body.secret as string);
    const withEnv = runJson(['keys', 'list'], { PARLEY_EXTERNAL_AUTH_SECRET: 's'.repeat(40) });
    expect((withEnv.body.keys as Record<string, unknown>[])[0]).toEqual({ kid: 'env', alg: 'HS256', source: 'environment', jwksUrl: null, createdAt: null, lastUsedAt: null, retiredAt: null });

    const retired = runJson(['keys', 'retire', kid]);
    expect(retired.status).toBe(0);
    expect(retired.body).toEqual({ key: expect.objectContaining({ kid, retiredAt: expect.any(String) }) });
    const again = runJson(['keys', 'retire', kid]);
    expect(again.status).toBe(1);
    expect(again.body).toEqual({ error: { code: 'key_not_found', message: `no active key ${kid}` } });
    expect(again.stderr).toContain(`no active key ${kid}`);
    noStack(again.stderr);
  });

  it('admin create-owner and token print JSON; a usage error is a JSON error too', () => {
    const owner = runJson(['admin', 'create-owner', '--email', 'json-boss@example.com']);
    expect(owner.status).toBe(0);
    expect(owner.body).toEqual({ link: expect.stringMatching(/^http:\/\/127\.0\.0\.1:3000\/admin\/setup\?token=[A-Za-z0-9_-]{43}$/) });
    const refused = runJson(['admin', 'sign-in-link', '--email', 'nobody@example.com']);
    expect(refused.status).toBe(1);
    expect(refused.body.error).toEqual({ code: 'admin_required', message: 'No active owner or admin has the email nobody@example.com.' });
    noStack(refused.stderr);

    const token = runJson(['token', '--user-id', 'alice'], { PARLEY_EXTERNAL_AUTH_SECRET: 's'.repeat(40) });
    expect(token.status).toBe(0);
    const code = token.body.externalAuthCode as string;
    expect(token.body).toEqual({
      externalAuthCode: expect.stringMatching(/^[\w-]+\.[\w-]+\.[\w-]+$/),
      kid: 'env',
      hostedPageUrl: `http://127.0.0.1:3000/?externalAuthCode=${code}`,
      widgetTag: `<script defer data-external-auth-code="${code}" src="http://127.0.0.1:3000/widget.js"></script>`,
    });

    const usage = runJson(['admin', 'create-owner']);
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
    // This process's view of sessions, with its caches: the CLI's changes must reach it from another process.
    sessions = createSessions({ secrets: createInstanceSecretRepository(store), revoked: createRevokedSessionRepository(store), users, now: Date.now });
    aliceSession = (await sessions.create(alice, Date.now(), 3_600_000)).token;
    expect((await sessions.findValid(aliceSession, Date.now()))?.user.active).toBe(1);
  });
  afterAll(() => store.close());

  const users = (args: string[], extra: Record<string, string> = {}) => run(['users', ...args], { ...usersEnv, ...extra });
  const usersJson = (args: string[], extra: Record<string, string> = {}) => runJson(['users', ...args], { ...usersEnv, ...extra });
  const seatsJson = (args: string[], extra: Record<string, string> = {}) => runJson(['seats', ...args], { ...usersEnv, ...extra });

  it('users list: newest first, as the admin API shows accounts, with search and paging', () => {
    const listed = usersJson(['list']);
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

    const found = usersJson(['list', '--q', 'ALI']);
    expect((found.body.users as UserRow[]).map((u) => u.id)).toEqual([alice.id]);
    expect(found.body.total).toBe(1);

    const first = usersJson(['list', '--limit', '2']);
    expect((first.body.users as UserRow[]).map((u) => u.id)).toEqual([bob.id, alice.id]);
    expect(first.body.nextCursor).toEqual(expect.any(String));
    const second = usersJson(['list', '--limit', '2', '--cursor', first.body.nextCursor as string]);
    expect((second.body.users as UserRow[]).map((u) => u.id)).toEqual([owner.id]);
    expect(second.body.nextCursor).toBeNull();

    const text = users(['list', '--limit', '2']);
    expect(text.status).toBe(0);
    const lines = text.stdout.trim().split('\n');
    expect(lines[0]).toMatch(new RegExp(`^${bob.id}\\s+member\\s+active\\s+external_token\\s+Bob · external id bob, never seen$`));
    expect(lines[1]).toContain('Alice · alice@example.com · external id alice');
    expect(lines[2]).toBe('2 shown of 3.');
    expect(lines[3]).toBe(`Next page: parley users list --limit 2 --cursor ${first.body.nextCursor as string}`);
    expect(users(['list', '--q', 'nobody']).stdout).toBe('No account matches "nobody".\n');

    for (const limit of ['0', 'x', '1001']) {
      const bad = users(['list', '--limit', limit]);
      expect(bad.status).toBe(1);
      expect(bad.stderr).toContain('--limit must be a whole number from 1 to 1000');
    }
  });

  it('deactivate frees the seat and ends the sessions; reactivate needs a free seat; the last owner stays', async () => {
    expect(seatsJson(['set', '3']).body).toEqual({ seatLimit: 3, used: 3 });

    // --json before the id: the id stays positional.
    const deactivated = runJson(['users', 'deactivate', '--json', alice.id], usersEnv);
    expect(deactivated.status).toBe(0);
    expect(deactivated.body).toEqual({ user: expect.objectContaining({ id: alice.id, active: false }) });
    // The CLI committed from another process: this one sees it from its next event-loop turn (read-cache.ts).
    await new Promise((resolve) => setImmediate(resolve));
    expect(await sessions.findValid(aliceSession, Date.now())).toBeUndefined();

    // Two seats used of three; lowering the limit to two leaves no free seat.
    expect(seatsJson(['set', '2']).body).toEqual({ seatLimit: 2, used: 2 });
    const full = usersJson(['reactivate', alice.id]);
    expect(full.status).toBe(1);
    expect(full.body.error?.code).toBe('seat_limit_reached');
    expect(full.stderr).toBe('parley: Every seat on this instance is taken. Contact your administrator.\n');
    expect((await createUserRepository(store).findById(alice.id))?.active).toBe(0);

    const raised = run(['seats', 'set', '3'], usersEnv);
    expect(raised.stdout).toBe('Seat limit set to 3 (2 in use).\n');
    const reactivated = usersJson(['reactivate', alice.id]);
    expect(reactivated.status).toBe(0);
    expect(reactivated.body).toEqual({ user: expect.objectContaining({ id: alice.id, active: true }) });
    // Reactivating an active account changes nothing.
    expect(usersJson(['reactivate', alice.id]).body).toEqual({ user: expect.objectContaining({ id: alice.id, active: true }) });

    const text = users(['deactivate', bob.id]);
    expect(text.status).toBe(0);
    expect(text.stdout).toContain(`${bob.id} `);
    expect(text.stdout).toContain('Deactivated: its seat is free and every session of the account has ended.');

    // The shell acts as an owner, but the last owner still cannot be deactivated.
    const lastOwner = usersJson(['deactivate', owner.id]);
    expect(lastOwner.status).toBe(1);
    expect(lastOwner.body.error?.code).toBe('last_owner');
    expect(lastOwner.stderr).toBe('parley: The last owner cannot be removed, demoted or deactivated.\n');
    expect((await createUserRepository(store).findById(owner.id))?.active).toBe(1);

    const unknown = usersJson(['deactivate', 'usr_nobody']);
    expect(unknown.status).toBe(1);
    expect(unknown.body.error?.code).toMatch(/_not_found$/);
    noStack(unknown.stderr);
    const missing = users(['reactivate']);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain('users reactivate needs an account ID');

    // Each action is in the audit log, with the CLI as the actor and its outcome.
    const audit = await store.db.selectFrom('audit_log').select(['action', 'actor_label', 'outcome', 'target']).where('actor_label', '=', 'parley CLI').orderBy('id').execute();
    expect(audit.filter((e) => e.action.startsWith('user.'))).toEqual([
      { action: 'user.deactivate', actor_label: 'parley CLI', outcome: 'ok', target: alice.id },
      { action: 'user.reactivate', actor_label: 'parley CLI', outcome: 'seat_limit_reached', target: alice.id },
      { action: 'user.reactivate', actor_label: 'parley CLI', outcome: 'ok', target: alice.id },
      { action: 'user.reactivate', actor_label: 'parley CLI', outcome: 'ok', target: alice.id },
      { action: 'user.deactivate', actor_label: 'parley CLI', outcome: 'ok', target: bob.id },
      { action: 'user.deactivate', actor_label: 'parley CLI', outcome: 'last_owner', target: owner.id },
      { action: 'user.deactivate', actor_label: 'parley CLI', outcome: expect.stringMatching(/_not_found$/), target: 'usr_nobody' },
    ]);
  });

  it('seats set refuses a limit fixed by PARLEY_SEAT_LIMIT, and a value that is not a whole number', async () => {
    const before = await store.db.selectFrom('settings').select('value').where('name', '=', 'seatLimit').executeTakeFirst();
    const locked = seatsJson(['set', '10'], { PARLEY_SEAT_LIMIT: '4' });
    expect(locked.status).toBe(1);
    expect(locked.body.error?.code).toBe('setting_locked');
    expect(locked.stderr).toContain('The seat limit is fixed by PARLEY_SEAT_LIMIT in the environment');
    noStack(locked.stderr);
    const text = run(['seats', 'set', '10'], { ...usersEnv, PARLEY_SEAT_LIMIT: '4' });
    expect(text.status).toBe(1);
    expect(text.stdout).toBe('');
    expect(await store.db.selectFrom('settings').select('value').where('name', '=', 'seatLimit').executeTakeFirst()).toEqual(before);

    for (const value of ['-1', 'ten', '1.5']) {
      const bad = run(['seats', 'set', value], usersEnv);
      expect(bad.status).toBe(1);
      expect(bad.stderr).toContain('seats set N must be a whole number from 0');
    }
    expect(run(['seats'], usersEnv).stderr).toContain('seats needs set N');

    // Below the accounts in use: allowed, and said.
    const low = run(['seats', 'set', '1'], usersEnv);
    expect(low.status).toBe(0);
    expect(low.stdout).toBe('Seat limit set to 1 (2 in use).\n');
    expect(low.stderr).toContain('More accounts are active than the new limit allows');
  });
});

/**
 * The `parley` command line (PRODUCT.md §8). In a checkout: `npm run parley -- <command>`. It reads the
 * same configuration as the server, so `token`, `keys`, `admin`, `users` and `seats` act on the instance
 * that `serve` runs, through the same services and rules as the admin API. `--json` makes every command but
 * `serve` print one JSON document (or `{"error":{"code","message"}}`) on stdout instead of text.
 */
import { loadConfig, ConfigError, CONFIG_FLAGS, derivePublicUrl, type Config } from './config.js';
import { startServer } from './main.js';
import { openStore, type Store } from './store/database.js';
import { createKeyRepository } from './store/keys.js';
import { ENV_KID } from './auth/key-ring.js';
import { signExternalToken } from './auth/sign-external-token.js';
import { parseDuration } from './config.js';
import { readFileSync } from 'node:fs';
import { KID_PATTERN } from './store/keys.js';
import { ASYMMETRIC_ALGS, KeyFormatError, parsePublicKey, type AsymmetricAlg } from './auth/public-keys.js';
import { checkJwksUrl } from './auth/jwks.js';
import { createServices, type Services } from './services.js';
import { ParleyError } from './errors.js';
import { presentAdminUser, type AdminUser } from './admin/users.js';
import type { KeyRow } from './store/keys.js';
import type { UserRow } from './store/users.js';

const USAGE = `Usage: parley <command> [options]

Commands:
  serve [--port N --host H ...]        start the server (every setting has a flag; see below)
  token --user-id ID [--email E] [--name N] [--expires-in 1h] [--kid KID]
                                       sign an externalAuthCode and print it with the hosted-page link
                                       and the widget tag
  keys create                          create an HS256 signing key (its secret is printed once)
  keys add --kid KID --alg ES256|EdDSA|RS256 --public-key FILE
                                       register an integrator's public key (PEM or JWK file)
  keys add-jwks --url https://…        register a JWK Set URL (its keys keep their own kids)
  keys list                            list signing keys
  keys retire KID                      retire a key: tokens signed with it stop working at once
  admin create-owner --email E         print a one-time link that makes its visitor an owner with email E
  admin sign-in-link --email E         print a one-time sign-in link (15 minutes) for an owner or admin
  users list [--q Q] [--limit N] [--cursor C]
                                       list accounts, newest first; Q matches name, email or external id
  users deactivate ID                  deactivate an account: frees its seat and ends its sessions
  users reactivate ID                  reactivate an account (needs a free seat)
  seats set N                          set the seat limit (unless PARLEY_SEAT_LIMIT fixes it)
  api-credentials create --name NAME   create a token API credential; prints {"apiKey","authToken"} (shown once)
  api-credentials list                 list token API credentials
  api-credentials revoke API_KEY       revoke a credential: it fails at once

Every command but serve takes --json: it then prints one JSON document on stdout instead of text, and a
failure prints {"error":{"code","message"}} on stdout (and the message on stderr) and exits with 1.

Settings (environment variable, or flag on serve):
${CONFIG_FLAGS.map(({ flag, variable }) => `  ${flag.padEnd(26)} ${variable}`).join('\n')}
`;

class UsageError extends Error {}

/** Flags that never take a value, so `users deactivate --json ID` keeps ID positional. */
const SWITCHES: ReadonlySet<string> = new Set(['--json', '--help']);

/** `--a 1 --b=2 --c` → Map; positional words separately. */
export function parseArgs(argv: readonly string[]): { positional: string[]; flags: Map<string, string> } {
  const positional: string[] = [];
  const flags = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (!arg.startsWith('--')) {
      positional.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    if (eq > 0) flags.set(arg.slice(0, eq), arg.slice(eq + 1));
    else if (!SWITCHES.has(arg) && i + 1 < argv.length && !(argv[i + 1] as string).startsWith('--')) flags.set(arg, argv[++i] as string);
    else flags.set(arg, 'true');
  }
  return { positional, flags };
}

async function withStore<T>(config: Config, run: (store: Store) => Promise<T>): Promise<T> {
  const store = await openStore(config.database);
  try {
    return await run(store);
  } finally {
    await store.close();
  }
}

/** The server's services on the configured database, for commands that follow the admin panel's rules. */
function withServices<T>(config: Config, run: (services: Services) => Promise<T>): Promise<T> {
  return withStore(config, (store) =>
    run(createServices({ config, store, now: Date.now, publicUrl: () => derivePublicUrl(config, config.port), jwksFetch: async () => ({}) })),
  );
}

/**
 * Whoever runs the CLI has shell access to the instance's configuration and database, so they act with an
 * owner's rights. The user-admin rules read only the actor's role; the target-side rules (the last owner
 * cannot be deactivated) still apply, since they look at the target and the count of owners.
 */
const SHELL_OPERATOR = { role: 'owner' } as UserRow;

/** Records a shell action in the audit log like the panel's, with the CLI as the actor. */
function audit(services: Services, action: string, outcome: string, target: string | null): Promise<void> {
  return services.audit.record({ at: Date.now(), kind: 'admin', action, actor_id: null, actor_label: 'parley CLI', outcome, origin: null, ip: null, target });
}

/** Runs an action, auditing its outcome (failed or not), as the REST routes do. */
async function audited<T>(services: Services, action: string, target: string | null, run: () => Promise<T>): Promise<T> {
  try {
    const result = await run();
    await audit(services, action, 'ok', target);
    return result;
  } catch (error) {
    if (error instanceof ParleyError) await audit(services, action, error.code, target);
    throw error;
  }
}

const out = (line = '') => process.stdout.write(`${line}\n`);
const note = (line: string) => process.stderr.write(`${line}\n`);

/** Where a command's result goes: one JSON document (`--json`), or lines of text. */
interface Output {
  json: boolean;
}
function emit(output: Output, document: unknown, text: () => void): void {
  if (output.json) out(JSON.stringify(document, null, 2));
  else text();
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** A signing key as `GET /api/v1/admin/keys` shows it. */
function presentKey(row: KeyRow) {
  return { kid: row.kid, alg: row.alg, source: 'database', jwksUrl: row.jwks_url, createdAt: iso(row.created_at), lastUsedAt: iso(row.last_used_at), retiredAt: iso(row.retired_at) };
}
const ENV_KEY = { kid: ENV_KID, alg: 'HS256', source: 'environment', jwksUrl: null, createdAt: null, lastUsedAt: null, retiredAt: null } as const;

async function tokenCommand(config: Config, flags: Map<string, string>, output: Output): Promise<void> {
  const userId = flags.get('--user-id');
  if (!userId || userId === 'true') throw new UsageError('token needs --user-id');
  const expiresIn = parseDuration(flags.get('--expires-in') ?? '1h');
  if (expiresIn > config.tokenMaxLifetimeSeconds) throw new UsageError('--expires-in is longer than PARLEY_TOKEN_MAX_LIFETIME');
  const wantedKid = flags.get('--kid');
  const { kid, secret } = await withStore(config, async (store) => {
    const keys = createKeyRepository(store);
    if (config.externalAuthSecret && (wantedKid === undefined || wantedKid === ENV_KID)) return { kid: ENV_KID, secret: config.externalAuthSecret };
    // Only HS256 keys can sign here: Parley never holds an integrator's private key.
    const active = (await keys.listActive()).filter((k) => k.alg === 'HS256' && k.secret !== null);
    const chosen = wantedKid ? active.find((k) => k.kid === wantedKid) : active[0];
    if (chosen) return { kid: chosen.kid, secret: new TextEncoder().encode(chosen.secret!) };
    if (wantedKid) throw new UsageError(`no active key ${wantedKid}`);
    const created = await keys.create(Date.now());
    note(`No signing key yet: created ${created.kid}, so external auth is now enabled on this instance.`);
    return { kid: created.kid, secret: new TextEncoder().encode(created.secret) };
  });
  const user: Record<string, string> = { id: userId };
  for (const [flag, claim] of [['--email', 'email'], ['--name', 'name']] as const) {
    const value = flags.get(flag);
    if (value !== undefined) user[claim] = value;
  }
  const token = await signExternalToken({ secret, kid, payload: { user }, issuedAt: Math.floor(Date.now() / 1000), expiresInSeconds: expiresIn });
  const base = derivePublicUrl(config, config.port);
  const hostedPageUrl = `${base}/?externalAuthCode=${token}`;
  const widgetTag = `<script defer data-external-auth-code="${token}" src="${base}/widget.js"></script>`;
  emit(output, { externalAuthCode: token, kid, hostedPageUrl, widgetTag }, () => {
    out('externalAuthCode:');
    out(token);
    out();
    out('Hosted page (open it to sign in):');
    out(hostedPageUrl);
    out();
    out('Widget tag:');
    out(widgetTag);
  });
}

async function keysCommand(config: Config, positional: string[], flags: Map<string, string>, output: Output): Promise<void> {
  const [action, kid] = positional;
  await withServices(config, async (services) => {
    const { keys } = services;
    if (action === 'create') {
      const created = await keys.create(Date.now());
      await audit(services, 'key.create', 'ok', created.kid);
      emit(output, { kid: created.kid, secret: created.secret }, () => {
        out(`kid:    ${created.kid}`);
        out(`secret: ${created.secret}`);
      });
      note('The secret is shown once: store it in your backend now. Sign HS256 tokens with it and put the kid in their header.');
    } else if (action === 'add') {
      const newKid = flags.get('--kid');
      const alg = flags.get('--alg');
      const file = flags.get('--public-key');
      if (!newKid || !KID_PATTERN.test(newKid) || newKid === ENV_KID) throw new UsageError('keys add needs --kid (letters, digits, . _ : -; not "env")');
      if (!alg || !ASYMMETRIC_ALGS.has(alg)) throw new UsageError('keys add needs --alg ES256, EdDSA or RS256');
      if (!file) throw new UsageError('keys add needs --public-key FILE (PEM or JWK)');
      if (await keys.find(newKid)) throw new UsageError(`a key ${newKid} exists already`);
      let jwk: object;
      try {
        jwk = parsePublicKey(readFileSync(file, 'utf8'), alg as AsymmetricAlg);
      } catch (error) {
        throw new UsageError(error instanceof KeyFormatError ? error.message : `cannot read ${file}`);
      }
      await keys.addPublicKey(newKid, alg as AsymmetricAlg, jwk, Date.now());
      await audit(services, 'key.add', 'ok', newKid);
      emit(output, { key: presentKey((await keys.find(newKid))!) }, () => out(`registered ${alg} public key ${newKid}`));
    } else if (action === 'add-jwks') {
      const url = flags.get('--url');
      if (!url || url === 'true') throw new UsageError('keys add-jwks needs --url https://…');
      let checked: string;
      try {
        checked = checkJwksUrl(url);
      } catch (error) {
        throw new UsageError((error as Error).message);
      }
      const added = await keys.addJwks(checked, Date.now());
      await audit(services, 'key.add_jwks', 'ok', added);
      emit(output, { key: presentKey((await keys.find(added))!) }, () => out(`registered JWK Set ${added} → ${checked}`));
    } else if (action === 'list') {
      const all = await keys.listAll();
      const enabled = (await services.settings.get()).externalAuthEnabled;
      emit(output, { enabled, keys: [...(config.externalAuthSecret ? [ENV_KEY] : []), ...all.map(presentKey)] }, () => {
        if (config.externalAuthSecret) out(`${ENV_KID.padEnd(16)} active    (PARLEY_EXTERNAL_AUTH_SECRET)`);
        for (const k of all) {
          const status = k.retired_at === null ? 'active ' : 'retired';
          const used = k.last_used_at === null ? 'never used' : `last used ${new Date(k.last_used_at).toISOString()}`;
          const what = k.alg === 'JWKS' ? `JWKS ${k.jwks_url}` : k.alg;
          out(`${k.kid.padEnd(16)} ${status}   ${what}, created ${new Date(k.created_at).toISOString()}, ${used}`);
        }
        if (!enabled) note('External auth is switched off in the admin panel (External auth): no token signs in until it is on again.');
      });
      if (all.length === 0 && !config.externalAuthSecret) note('No keys: external auth is disabled. Create one with `parley keys create`.');
    } else if (action === 'retire') {
      if (!kid) throw new UsageError('keys retire needs a KID');
      if (kid === ENV_KID) throw new UsageError('the env key is retired by unsetting PARLEY_EXTERNAL_AUTH_SECRET');
      await audited(services, 'key.retire', kid, async () => {
        if (!(await keys.retire(kid, Date.now()))) throw new ParleyError('key_not_found', `no active key ${kid}`);
      });
      emit(output, { key: presentKey((await keys.find(kid))!) }, () => out(`retired ${kid}`));
    } else {
      throw new UsageError('keys needs create, add, add-jwks, list or retire');
    }
  });
}

async function adminCommand(config: Config, positional: string[], flags: Map<string, string>, output: Output): Promise<void> {
  const [action] = positional;
  const email = flags.get('--email');
  if (action !== 'create-owner' && action !== 'sign-in-link') throw new UsageError('admin needs create-owner or sign-in-link');
  if (!email || !/^[^\s@]+@[^\s@]+$/.test(email)) throw new UsageError(`admin ${action} needs --email`);
  const base = derivePublicUrl(config, config.port);
  // The audit entry names the email, never the link (it is a credential until used).
  const link = await withServices(config, (services) =>
    audited(services, action === 'create-owner' ? 'admin_link.create_owner' : 'admin_link.sign_in', email, () =>
      action === 'create-owner' ? services.adminLinks.createOwnerLink(base, email) : services.adminLinks.signInLink(base, email),
    ),
  );
  emit(output, { link }, () => {
    out(action === 'create-owner' ? 'Open this one-time link to become an owner of this Parley instance:' : 'Open this one-time sign-in link within 15 minutes:');
    out(link);
  });
}

/** A whole number from `min` to `max`, or a usage error naming `what`. */
function wholeNumber(raw: string | undefined, what: string, min: number, max: number): number {
  const value = raw !== undefined && /^\d{1,10}$/.test(raw) ? Number(raw) : NaN;
  if (!(value >= min && value <= max)) throw new UsageError(`${what} must be a whole number from ${min} to ${max}`);
  return value;
}

/** One line of `users list`: id, role, state, how it was created, who it is, when last seen. */
function userLine(u: AdminUser): string {
  const who = [u.name, u.email, u.externalId === null ? null : `external id ${u.externalId}`].filter((part) => part !== null).join(' · ') || '—';
  const seen = u.lastSeenAt === null ? 'never seen' : `last seen ${u.lastSeenAt}`;
  return `${u.id.padEnd(21)} ${u.role.padEnd(6)} ${(u.active ? 'active' : 'deactivated').padEnd(11)} ${u.createdVia.padEnd(14)} ${who}, ${seen}`;
}

const USERS_LIST_MAX = 1000;

async function usersCommand(config: Config, positional: string[], flags: Map<string, string>, output: Output): Promise<void> {
  const [action, id] = positional;
  if (action === 'list') {
    const q = flags.get('--q');
    const cursor = flags.get('--cursor');
    const limit = flags.has('--limit') ? wholeNumber(flags.get('--limit'), '--limit', 1, USERS_LIST_MAX) : 50;
    const page = await withServices(config, (services) => services.userAdmin.list(q, cursor, limit));
    emit(output, page, () => {
      for (const u of page.users) out(userLine(u));
      const shown = page.users.length === 0 ? (q?.trim() ? `No account matches "${q}".` : 'No accounts.') : `${page.users.length} shown of ${page.total}.`;
      out(shown);
      if (page.nextCursor) {
        const again = ['parley users list', ...(q?.trim() ? [`--q ${JSON.stringify(q)}`] : []), ...(flags.has('--limit') ? [`--limit ${limit}`] : []), `--cursor ${page.nextCursor}`];
        out(`Next page: ${again.join(' ')}`);
      }
    });
  } else if (action === 'deactivate' || action === 'reactivate') {
    if (!id) throw new UsageError(`users ${action} needs an account ID (see \`parley users list\`)`);
    const user = await withServices(config, (services) =>
      audited(services, `user.${action}`, id, () => (action === 'deactivate' ? services.userAdmin.deactivate(SHELL_OPERATOR, id) : services.userAdmin.reactivate(SHELL_OPERATOR, id))),
    );
    const shown = presentAdminUser(user);
    emit(output, { user: shown }, () => {
      out(userLine(shown));
      out(action === 'deactivate' ? 'Deactivated: its seat is free and every session of the account has ended.' : 'Reactivated: the account takes a seat again.');
    });
  } else {
    throw new UsageError('users needs list, deactivate or reactivate');
  }
}

async function seatsCommand(config: Config, positional: string[], output: Output): Promise<void> {
  const [action, raw] = positional;
  if (action !== 'set') throw new UsageError('seats needs set N');
  const seatLimit = wholeNumber(raw, 'seats set N', 0, 1e9);
  const { used } = await withServices(config, (services) =>
    audited(services, 'settings.update', 'seatLimit', async () => {
      try {
        await services.settings.update({ seatLimit });
      } catch (error) {
        if (error instanceof ParleyError && error.code === 'setting_locked') {
          throw new ParleyError(
            'setting_locked',
            'The seat limit is fixed by PARLEY_SEAT_LIMIT in the environment: change it there (and restart the server), or unset it to manage the limit with `parley seats set` and the admin panel.',
          );
        }
        throw error;
      }
      return { used: await services.users.countActive() };
    }),
  );
  emit(output, { seatLimit, used }, () => {
    out(`Seat limit set to ${seatLimit} (${used} in use).`);
    if (used > seatLimit) note('More accounts are active than the new limit allows: none is deactivated, but no account is created or reactivated until enough are deactivated.');
  });
}

/** What a failure says: its code (for --json) and message. */
function describeFailure(error: unknown): { code: string; message: string } {
  if (error instanceof ParleyError) return { code: error.code, message: error.message };
  if (error instanceof UsageError) return { code: 'usage', message: error.message };
  if (error instanceof ConfigError) return { code: 'config', message: error.message };
  return { code: 'internal_error', message: error instanceof Error ? error.message : String(error) };
}

async function apiCredentialsCommand(config: Config, positional: string[], flags: Map<string, string>, output: Output): Promise<void> {
  const [action, apiKey] = positional;
  await withServices(config, async (services) => {
    if (action === 'create') {
      const name = flags.get('--name');
      if (!name || name === 'true' || name.length > 100) throw new UsageError('api-credentials create needs --name (at most 100 characters)');
      const created = await audited(services, 'api_credential.create', name, () => services.apiCredentials.create(name, Date.now()));
      // Always JSON: this is what a deployment script stores (the authToken is not shown again).
      out(JSON.stringify(created, null, 2));
      if (!output.json) note('The authToken is shown once: store it in your backend now.');
    } else if (action === 'list') {
      const rows = await services.apiCredentials.list();
      const credentials = rows.map((r) => ({ apiKey: r.api_key, name: r.name, createdAt: new Date(r.created_at).toISOString(), revokedAt: r.revoked_at === null ? null : new Date(r.revoked_at).toISOString() }));
      emit(output, { credentials }, () => {
        for (const c of credentials) out(`${c.apiKey.padEnd(20)} ${c.revokedAt ? 'revoked' : 'active '}  ${c.name}, created ${c.createdAt}`);
        if (credentials.length === 0) out('No API credentials.');
      });
    } else if (action === 'revoke') {
      if (!apiKey) throw new UsageError('api-credentials revoke needs an API_KEY');
      if (!(await audited(services, 'api_credential.revoke', apiKey, () => services.apiCredentials.revoke(apiKey, Date.now())))) throw new UsageError(`no active credential ${apiKey}`);
      emit(output, { revoked: apiKey }, () => out(`revoked ${apiKey}`));
    } else {
      throw new UsageError('api-credentials needs create, list or revoke');
    }
  });
}

export async function runCli(argv: readonly string[]): Promise<number> {
  const { positional, flags } = parseArgs(argv);
  const command = positional.shift();
  if (!command || command === 'help' || flags.has('--help')) {
    out(USAGE);
    return command ? 0 : 2;
  }
  const output: Output = { json: command !== 'serve' && flags.has('--json') && flags.get('--json') !== 'false' };
  try {
    const config = loadConfig(process.env, command === 'serve' ? flags : new Map());
    switch (command) {
      case 'serve':
        await startServer(config, { handleSignals: true });
        return -1; // keep running
      case 'token':
        await tokenCommand(config, flags, output);
        return 0;
      case 'keys':
        await keysCommand(config, positional, flags, output);
        return 0;
      case 'admin':
        await adminCommand(config, positional, flags, output);
        return 0;
      case 'users':
        await usersCommand(config, positional, flags, output);
        return 0;
      case 'seats':
        await seatsCommand(config, positional, output);
        return 0;
      case 'api-credentials':
        await apiCredentialsCommand(config, positional, flags, output);
        return 0;
      default:
        throw new UsageError(`unknown command ${command}`);
    }
  } catch (error) {
    const failure = describeFailure(error);
    if (output.json) out(JSON.stringify({ error: failure }, null, 2));
    // A usage error shows the usage; nothing else shows more than its message (never a stack trace).
    note(error instanceof UsageError ? `parley: ${failure.message}\n\n${USAGE}` : `parley: ${failure.message}`);
    return 1;
  }
}

const code = await runCli(process.argv.slice(2));
if (code >= 0) process.exitCode = code;

/**
 * The `parley` command line (PRODUCT.md §8). In a checkout: `npm run parley -- <command>`. It reads the
 * same configuration as the server, so `token` and `keys` act on the instance that `serve` runs.
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

Settings (environment variable, or flag on serve):
${CONFIG_FLAGS.map(({ flag, variable }) => `  ${flag.padEnd(26)} ${variable}`).join('\n')}
`;

class UsageError extends Error {}

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
    else if (i + 1 < argv.length && !(argv[i + 1] as string).startsWith('--')) flags.set(arg, argv[++i] as string);
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

const out = (line = '') => process.stdout.write(`${line}\n`);
const note = (line: string) => process.stderr.write(`${line}\n`);

async function tokenCommand(config: Config, flags: Map<string, string>): Promise<void> {
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
  out('externalAuthCode:');
  out(token);
  out();
  out('Hosted page (open it to sign in):');
  out(`${base}/?externalAuthCode=${token}`);
  out();
  out('Widget tag:');
  out(`<script defer data-external-auth-code="${token}" src="${base}/widget.js"></script>`);
}

async function keysCommand(config: Config, positional: string[], flags: Map<string, string>): Promise<void> {
  const [action, kid] = positional;
  await withStore(config, async (store) => {
    const keys = createKeyRepository(store);
    if (action === 'create') {
      const created = await keys.create(Date.now());
      out(`kid:    ${created.kid}`);
      out(`secret: ${created.secret}`);
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
      out(`registered ${alg} public key ${newKid}`);
    } else if (action === 'add-jwks') {
      const url = flags.get('--url');
      if (!url) throw new UsageError('keys add-jwks needs --url https://…');
      let checked: string;
      try {
        checked = checkJwksUrl(url);
      } catch (error) {
        throw new UsageError((error as Error).message);
      }
      out(`registered JWK Set ${await keys.addJwks(checked, Date.now())} → ${checked}`);
    } else if (action === 'list') {
      const all = await keys.listAll();
      if (config.externalAuthSecret) out(`${ENV_KID.padEnd(16)} active    (PARLEY_EXTERNAL_AUTH_SECRET)`);
      for (const k of all) {
        const status = k.retired_at === null ? 'active ' : 'retired';
        const used = k.last_used_at === null ? 'never used' : `last used ${new Date(k.last_used_at).toISOString()}`;
        const what = k.alg === 'JWKS' ? `JWKS ${k.jwks_url}` : k.alg;
        out(`${k.kid.padEnd(16)} ${status}   ${what}, created ${new Date(k.created_at).toISOString()}, ${used}`);
      }
      if (all.length === 0 && !config.externalAuthSecret) note('No keys: external auth is disabled. Create one with `parley keys create`.');
    } else if (action === 'retire') {
      if (!kid) throw new UsageError('keys retire needs a KID');
      if (kid === ENV_KID) throw new UsageError('the env key is retired by unsetting PARLEY_EXTERNAL_AUTH_SECRET');
      if (!(await keys.retire(kid, Date.now()))) throw new UsageError(`no active key ${kid}`);
      out(`retired ${kid}`);
    } else {
      throw new UsageError('keys needs create, add, add-jwks, list or retire');
    }
  });
}

async function adminCommand(config: Config, positional: string[], flags: Map<string, string>): Promise<void> {
  const [action] = positional;
  const email = flags.get('--email');
  if (action !== 'create-owner' && action !== 'sign-in-link') throw new UsageError('admin needs create-owner or sign-in-link');
  if (!email || !/^[^\s@]+@[^\s@]+$/.test(email)) throw new UsageError(`admin ${action} needs --email`);
  const link = await withStore(config, async (store) => {
    const services = createServices({ config, store, now: Date.now, publicUrl: () => derivePublicUrl(config, config.port), jwksFetch: async () => ({}) });
    try {
      return action === 'create-owner' ? await services.adminLinks.createOwnerLink(derivePublicUrl(config, config.port), email) : await services.adminLinks.signInLink(derivePublicUrl(config, config.port), email);
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
  });
  out(action === 'create-owner' ? 'Open this one-time link to become an owner of this Parley instance:' : 'Open this one-time sign-in link within 15 minutes:');
  out(link);
}

export async function runCli(argv: readonly string[]): Promise<number> {
  const { positional, flags } = parseArgs(argv);
  const command = positional.shift();
  if (!command || command === 'help' || flags.has('--help')) {
    out(USAGE);
    return command ? 0 : 2;
  }
  try {
    const config = loadConfig(process.env, command === 'serve' ? flags : new Map());
    switch (command) {
      case 'serve':
        await startServer(config, { handleSignals: true });
        return -1; // keep running
      case 'token':
        await tokenCommand(config, flags);
        return 0;
      case 'keys':
        await keysCommand(config, positional, flags);
        return 0;
      case 'admin':
        await adminCommand(config, positional, flags);
        return 0;
      default:
        throw new UsageError(`unknown command ${command}`);
    }
  } catch (error) {
    if (error instanceof ConfigError) note(`parley: ${error.message}`);
    else if (error instanceof UsageError) note(`parley: ${error.message}\n\n${USAGE}`);
    else note(`parley: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
}

const code = await runCli(process.argv.slice(2));
if (code >= 0) process.exitCode = code;

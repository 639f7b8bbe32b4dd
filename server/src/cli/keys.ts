/**
 * `parley keys …` and `parley token`: the signing keys of external auth, and a token signed with one of
 * them (with the hosted-page link and the widget tag that use it). Only HS256 keys can sign here: Parley
 * never holds an integrator's private key.
 */
import { readFileSync } from 'node:fs';
import { derivePublicUrl, parseDuration } from '../config.js';
import { ENV_KID } from '../auth/key-ring.js';
import { ASYMMETRIC_ALGS, KeyFormatError, parsePublicKey, type AsymmetricAlg } from '../auth/public-keys.js';
import { checkJwksUrl } from '../auth/jwks.js';
import { signExternalToken } from '../auth/sign-external-token.js';
import { ParleyError } from '../errors.js';
import { createKeyRepository, KID_PATTERN, type KeyRow } from '../store/keys.js';
import { UsageError } from './args.js';
import { withServices, withStore, type Command } from './shell.js';

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** A signing key as `GET /api/v1/admin/keys` shows it. */
function presentKey(row: KeyRow) {
  return { kid: row.kid, alg: row.alg, source: 'database', jwksUrl: row.jwks_url, createdAt: iso(row.created_at), lastUsedAt: iso(row.last_used_at), retiredAt: iso(row.retired_at) };
}
const ENV_KEY = { kid: ENV_KID, alg: 'HS256', source: 'environment', jwksUrl: null, createdAt: null, lastUsedAt: null, retiredAt: null } as const;

export const tokenCommand: Command = async (shell, { flags }) => {
  const { config, now, output } = shell;
  const userId = flags.get('--user-id');
  if (!userId || userId === 'true') throw new UsageError('token needs --user-id');
  const expiresIn = parseDuration(flags.get('--expires-in') ?? '1h');
  if (expiresIn > config.tokenMaxLifetimeSeconds) throw new UsageError('--expires-in is longer than PARLEY_TOKEN_MAX_LIFETIME');
  const wantedKid = flags.get('--kid');
  const { kid, secret } = await withStore(shell, async (store) => {
    const keys = createKeyRepository(store);
    if (config.externalAuthSecret && (wantedKid === undefined || wantedKid === ENV_KID)) return { kid: ENV_KID, secret: config.externalAuthSecret };
    const active = (await keys.listActive()).filter((k) => k.alg === 'HS256' && k.secret !== null);
    const chosen = wantedKid ? active.find((k) => k.kid === wantedKid) : active[0];
    if (chosen) return { kid: chosen.kid, secret: new TextEncoder().encode(chosen.secret!) };
    if (wantedKid) throw new UsageError(`no active key ${wantedKid}`);
    const created = await keys.create(now());
    output.note(`No signing key yet: created ${created.kid}, so external auth is now enabled on this instance.`);
    return { kid: created.kid, secret: new TextEncoder().encode(created.secret) };
  });
  const user: Record<string, string> = { id: userId };
  for (const [flag, claim] of [['--email', 'email'], ['--name', 'name']] as const) {
    const value = flags.get(flag);
    if (value !== undefined) user[claim] = value;
  }
  const token = await signExternalToken({ secret, kid, payload: { user }, issuedAt: Math.floor(now() / 1000), expiresInSeconds: expiresIn });
  const base = derivePublicUrl(config, config.port);
  const hostedPageUrl = `${base}/?externalAuthCode=${token}`;
  const widgetTag = `<script defer data-external-auth-code="${token}" src="${base}/widget.js"></script>`;
  output.emit({ externalAuthCode: token, kid, hostedPageUrl, widgetTag }, () => {
    output.line('externalAuthCode:');
    output.line(token);
    output.line();
    output.line('Hosted page (open it to sign in):');
    output.line(hostedPageUrl);
    output.line();
    output.line('Widget tag:');
    output.line(widgetTag);
  });
};

export const keysCommand: Command = (shell, { positional, flags }) => {
  const { config, now, output } = shell;
  const [action, kid] = positional;
  return withServices(shell, async (services, audit) => {
    const { keys } = services;
    if (action === 'create') {
      const created = await keys.create(now());
      await audit.record('key.create', 'ok', created.kid);
      output.emit({ kid: created.kid, secret: created.secret }, () => {
        output.line(`kid:    ${created.kid}`);
        output.line(`secret: ${created.secret}`);
      });
      output.note('The secret is shown once: store it in your backend now. Sign HS256 tokens with it and put the kid in their header.');
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
      await keys.addPublicKey(newKid, alg as AsymmetricAlg, jwk, now());
      await audit.record('key.add', 'ok', newKid);
      output.emit({ key: presentKey((await keys.find(newKid))!) }, () => output.line(`registered ${alg} public key ${newKid}`));
    } else if (action === 'add-jwks') {
      const url = flags.get('--url');
      if (!url || url === 'true') throw new UsageError('keys add-jwks needs --url https://…');
      let checked: string;
      try {
        checked = checkJwksUrl(url);
      } catch (error) {
        throw new UsageError((error as Error).message);
      }
      const added = await keys.addJwks(checked, now());
      await audit.record('key.add_jwks', 'ok', added);
      output.emit({ key: presentKey((await keys.find(added))!) }, () => output.line(`registered JWK Set ${added} → ${checked}`));
    } else if (action === 'list') {
      const all = await keys.listAll();
      const enabled = (await services.settings.get()).externalAuthEnabled;
      output.emit({ enabled, keys: [...(config.externalAuthSecret ? [ENV_KEY] : []), ...all.map(presentKey)] }, () => {
        if (config.externalAuthSecret) output.line(`${ENV_KID.padEnd(16)} active    (PARLEY_EXTERNAL_AUTH_SECRET)`);
        for (const k of all) {
          const status = k.retired_at === null ? 'active ' : 'retired';
          const used = k.last_used_at === null ? 'never used' : `last used ${new Date(k.last_used_at).toISOString()}`;
          const what = k.alg === 'JWKS' ? `JWKS ${k.jwks_url}` : k.alg;
          output.line(`${k.kid.padEnd(16)} ${status}   ${what}, created ${new Date(k.created_at).toISOString()}, ${used}`);
        }
        if (!enabled) output.note('External auth is switched off in the admin panel (External auth): no token signs in until it is on again.');
      });
      if (all.length === 0 && !config.externalAuthSecret) output.note('No keys: external auth is disabled. Create one with `parley keys create`.');
    } else if (action === 'retire') {
      if (!kid) throw new UsageError('keys retire needs a KID');
      if (kid === ENV_KID) throw new UsageError('the env key is retired by unsetting PARLEY_EXTERNAL_AUTH_SECRET');
      await audit.around('key.retire', kid, async () => {
        if (!(await keys.retire(kid, now()))) throw new ParleyError('key_not_found', `no active key ${kid}`);
      });
      output.emit({ key: presentKey((await keys.find(kid))!) }, () => output.line(`retired ${kid}`));
    } else {
      throw new UsageError('keys needs create, add, add-jwks, list or retire');
    }
  });
};

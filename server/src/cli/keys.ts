/**
 * `parley keys …` and `parley token`: the signing keys of external auth, and a token signed with one of
 * them (with the hosted-page link and the widget tag that use it). Only HS256 keys can sign here: Parley
 * never holds an integrator's private key.
 */
import { readFileSync } from 'node:fs';
import { derivePublicUrl } from '../config.js';
import { parseDuration, parseEmail, parseId, parseName } from '#shared/fields.js';
import { ENV_KID } from '../auth/key-ring.js';
import { ASYMMETRIC_ALGS, KeyFormatError, parsePublicKey, type AsymmetricAlg } from '../auth/public-keys.js';
import { checkJwksUrl } from '../auth/jwks.js';
import { signExternalToken } from '../auth/sign-external-token.js';
import { ParleyError } from '../errors.js';
import { KID_PATTERN, type KeyRow } from '../store/keys.js';
import { fieldFlag, UsageError } from './args.js';
import { withServices, type Command } from './shell.js';
import { cliContext } from '../use-cases/actor.js';

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** A signing key as `GET /api/v1/admin/keys` shows it. */
function presentKey(row: KeyRow) {
  return { kid: row.kid, alg: row.alg, source: 'database', jwksUrl: row.jwks_url, createdAt: iso(row.created_at), lastUsedAt: iso(row.last_used_at), retiredAt: iso(row.retired_at) };
}
const ENV_KEY = { kid: ENV_KID, alg: 'HS256', source: 'environment', jwksUrl: null, createdAt: null, lastUsedAt: null, retiredAt: null } as const;

export const tokenCommand: Command = async (shell, { flags }) => {
  const { config, now, output } = shell;
  const rawUserId = flags.get('--user-id');
  if (!rawUserId || rawUserId === 'true') throw new UsageError('token needs --user-id');
  const userId = fieldFlag('--user-id', rawUserId, parseId);
  const expiresIn = fieldFlag('--expires-in', flags.get('--expires-in') ?? '1h', parseDuration);
  if (expiresIn > config.tokenMaxLifetimeSeconds) throw new UsageError('--expires-in is longer than PARLEY_TOKEN_MAX_LIFETIME');
  const wantedKid = flags.get('--kid');
  const { kid, secret } = await withServices(shell, async (services) => {
    const { keys } = services;
    if (config.externalAuthSecret && (wantedKid === undefined || wantedKid === ENV_KID)) return { kid: ENV_KID, secret: config.externalAuthSecret };
    const active = (await keys.listActive()).filter((k) => k.alg === 'HS256' && k.secret !== null);
    const chosen = wantedKid ? active.find((k) => k.kid === wantedKid) : active[0];
    if (chosen) return { kid: chosen.kid, secret: new TextEncoder().encode(chosen.secret!) };
    if (wantedKid) throw new UsageError(`no active key ${wantedKid}`);
    const created = await services.useCases.keys.createKey(cliContext());
    output.note(`No signing key yet: created ${created.kid}, so external auth is now enabled on this instance.`);
    return { kid: created.kid, secret: new TextEncoder().encode(created.secret) };
  });
  const user: Record<string, string> = { id: userId };
  for (const [flag, claim] of [['--email', 'email'], ['--name', 'name']] as const) {
    const value = flags.get(flag);
    if (value !== undefined) user[claim] = fieldFlag(flag, value, claim === 'email' ? parseEmail : parseName);
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
  const { config, output } = shell;
  const [action, kid] = positional;
  return withServices(shell, async (services) => {
    const ctx = cliContext();
    const { keys } = services;
    if (action === 'create') {
      const created = await services.useCases.keys.createKey(ctx);
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
      const added = await services.useCases.keys.addPublicKey(ctx, newKid, alg as AsymmetricAlg, jwk);
      output.emit({ key: presentKey(added) }, () => output.line(`registered ${alg} public key ${newKid}`));
    } else if (action === 'add-jwks') {
      const url = flags.get('--url');
      if (!url || url === 'true') throw new UsageError('keys add-jwks needs --url https://…');
      let checked: string;
      try {
        checked = checkJwksUrl(url);
      } catch (error) {
        throw new UsageError((error as Error).message);
      }
      const added = await services.useCases.keys.addJwks(ctx, checked);
      output.emit({ key: presentKey(added) }, () => output.line(`registered JWK Set ${added.kid} → ${checked}`));
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
      let retired: KeyRow;
      try {
        retired = await services.useCases.keys.retireKey(ctx, kid);
      } catch (error) {
        throw error instanceof ParleyError && error.code === 'key_not_found' ? new ParleyError('key_not_found', `no active key ${kid}`) : error;
      }
      output.emit({ key: presentKey(retired) }, () => output.line(`retired ${kid}`));
    } else {
      throw new UsageError('keys needs create, add, add-jwks, list or retire');
    }
  });
};

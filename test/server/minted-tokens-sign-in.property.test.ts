/**
 * What the token API mints, sign-in accepts. Over generated inputs (ids, emails, names, organizations and
 * resources with control characters, DEL, lone surrogates, NFD, compatibility characters, long strings and
 * values of the wrong type), through the real app:
 *  - every token `POST /v1/auth/token/get` or `POST /v2/auth/generate_token` mints signs in at
 *    `POST /api/v1/auth/exchange`, as that user with that profile;
 *  - every input it refuses is a 400 INVALID_ARGUMENT whose message names a field of the input, and, where
 *    the field is one a signed token carries too, sign-in's own verification refuses that field for the
 *    same reason.
 * The seed is printed; set PARLEY_FUZZ_SEED to replay a run.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readIdentity } from '../../server/src/auth/verify-external-token.js';
import { normalizeEmail } from '../../server/src/store/users.js';
import { createTestApp, type TestApp } from '../helpers/app.js';

const SEED = process.env['PARLEY_FUZZ_SEED'] !== undefined ? Number(process.env['PARLEY_FUZZ_SEED']) : Math.floor(Math.random() * 2 ** 31);
const RUNS = 200;

// ───────────────────────────────────────────── inputs ─────────────────────────────────────────────

/** Characters that rules are about, and any code point at all (lone surrogates included). */
const char = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom(...'abcxyzABC019-_.'.split('')) },
  { weight: 2, arbitrary: fc.constantFrom('\u0000', '\t', '\n', '\r', '\u001b', '\u001f', '\u007f') },
  { weight: 1, arbitrary: fc.constantFrom(' ', '@', '\u0085', '\u00a0', '\u2028', '\u200b') },
  // Composed, combining, and characters NFC (Å as U+212B, K as U+212A) or NFKC (ｋ, ﬁ, ①, 𝒜) change.
  { weight: 3, arbitrary: fc.constantFrom('\u00e9', '\u00f6', '\u00c5', '\u0301', '\u0308', '\u212b', '\u212a', '\uff4b', '\ufb01', '\u2460', '\u{1d49c}', '😀', '中') },
  { weight: 1, arbitrary: fc.constantFrom('\ud800', '\udfff') },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 0x10ffff }).map((cp) => String.fromCodePoint(cp)) },
);
const text = (maxLength: number) => fc.string({ unit: char, maxLength });
/** A string just around a length limit: `n - 1` plain characters and one generated one. */
const nearLength = (limits: number[]) => fc.tuple(fc.constantFrom(...limits), char).map(([n, c]) => `${'x'.repeat(n - 1)}${c}`);
const wrongType = fc.constantFrom<unknown>(null, 42, -1, 1.5, true, {}, [], ['a'], { id: 'x' });
const plainId = fc.stringMatching(/^[a-z0-9_-]{1,10}$/);
const id = fc.oneof(
  { weight: 5, arbitrary: plainId },
  { weight: 2, arbitrary: fc.constantFrom('acme', 'globex', 'doc-1', 'Jos\u00e9', 'Jose\u0301') },
  { weight: 5, arbitrary: text(12) },
  { weight: 1, arbitrary: nearLength([256, 257]) },
  { weight: 1, arbitrary: wrongType },
);
const email = fc.oneof(
  { weight: 4, arbitrary: fc.tuple(plainId, fc.constantFrom('example.com', 'x', 'b\u00fccher.de')).map(([local, domain]) => `${local}@${domain}`) },
  { weight: 4, arbitrary: fc.tuple(text(8), text(8)).map(([local, domain]) => `${local}@${domain}`) },
  { weight: 1, arbitrary: fc.constantFrom('\u212Aevin@x', 'kevin@x', 'KEVIN@x', '\uff4bevin@x') },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom(310, 316, 317), plainId).map(([n, local]) => `${local}${'a'.repeat(n - local.length)}@b.c`) },
  { weight: 1, arbitrary: text(10) },
  { weight: 1, arbitrary: wrongType },
);
const name = fc.oneof({ weight: 4, arbitrary: text(20) }, { weight: 1, arbitrary: nearLength([200, 201]) }, { weight: 1, arbitrary: wrongType });
const flag = fc.oneof({ weight: 4, arbitrary: fc.boolean() }, { weight: 1, arbitrary: wrongType });
const userProperties = fc.oneof(
  { weight: 6, arbitrary: fc.record({ organizationId: id, email, name, isAdmin: flag }, { requiredKeys: [] }) },
  { weight: 1, arbitrary: wrongType },
);
const resource = fc.record(
  {
    type: fc.oneof({ weight: 8, arbitrary: fc.constantFrom('organization', 'folder', 'document') }, { weight: 1, arbitrary: wrongType }),
    id,
    organizationId: id,
    accessRole: fc.oneof({ weight: 8, arbitrary: fc.constantFrom('viewer', 'editor') }, { weight: 1, arbitrary: wrongType }),
    expiresAt: fc.oneof({ weight: 8, arbitrary: fc.integer({ min: 0, max: 2 ** 40 }) }, { weight: 1, arbitrary: wrongType }),
    folderId: id,
  },
  { requiredKeys: ['type', 'id'] },
);
const permissions = fc.oneof({ weight: 6, arbitrary: fc.record({ resources: fc.array(resource, { maxLength: 4 }) }) }, { weight: 1, arbitrary: wrongType });
/** Anything at all in every field. */
const wildBody = fc.record({ userId: id, userProperties, permissions }, { requiredKeys: [] });

// Valid values, in many scripts, so that most clean requests mint: no control characters, NFC, and for
// emails nothing NFKC changes. Names may hold what ids and emails may not (the Kelvin sign, NFD).
const goodChar = fc.constantFrom(...'abcxyzABC019-_.'.split(''), '\u00e9', '\u00f6', '\u00c5', '\u4e2d', '\u{1f600}', '\u0085', '\u200b', ' ', '\u00a0');
const emailChar = fc.constantFrom(...'abcxyzABC019-_.'.split(''), '\u00e9', '\u00f6', '\u4e2d', '\u{1f600}');
const goodId = fc.oneof({ weight: 9, arbitrary: fc.string({ unit: goodChar, minLength: 1, maxLength: 16 }) }, { weight: 1, arbitrary: fc.constant('x'.repeat(256)) });
const goodEmail = fc.oneof(
  { weight: 1, arbitrary: fc.constantFrom('ada@example.com', 'ADA@example.com', 'kevin@x') },
  { weight: 3, arbitrary: fc.tuple(fc.string({ unit: emailChar, minLength: 1, maxLength: 12 }), fc.string({ unit: emailChar, minLength: 1, maxLength: 12 })).map(([l, d]) => `${l}@${d}`) },
);
const goodName = fc.string({ unit: fc.oneof(goodChar, fc.constantFrom('\u212a', 'e\u0301', '\uff4b')), maxLength: 30 });
const optional = <T>(arbitrary: fc.Arbitrary<T>) => fc.option(arbitrary, { nil: undefined });
const withoutUndefined = (o: Record<string, unknown>) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
const cleanBody = fc
  .record({
    userId: fc.oneof(goodId, fc.constantFrom('ada', 'bob', 'Jos\u00e9')),
    organizationId: goodId,
    sayOrganization: fc.boolean(),
    email: optional(goodEmail),
    name: optional(goodName),
    isAdmin: optional(fc.boolean()),
    resources: optional(
      fc.array(
        fc.record({ type: fc.constantFrom('organization', 'folder', 'document'), id: goodId, accessRole: optional(fc.constantFrom('viewer', 'editor')), expiresAt: optional(fc.integer({ min: 0, max: 2 ** 40 })), folderId: optional(goodId) }),
        { maxLength: 4 },
      ),
    ),
  })
  .map(({ userId, organizationId, sayOrganization, email, name, isAdmin, resources }) => {
    const body: Record<string, unknown> = { userId, userProperties: withoutUndefined({ organizationId: sayOrganization ? organizationId : undefined, email, name, isAdmin }) };
    if (resources) {
      // Every resource in the user's organization, as the token API requires.
      body['permissions'] = {
        resources: resources.map((r) =>
          withoutUndefined(r.type === 'organization' ? { type: r.type, id: organizationId, accessRole: r.accessRole } : { ...r, organizationId, folderId: r.type === 'document' ? r.folderId : undefined }),
        ),
      };
    }
    return body;
  });

/** A clean request with one field replaced by anything, so that each refusal is about one field. */
const FIELDS = ['userId', 'userProperties.organizationId', 'userProperties.email', 'userProperties.name', 'userProperties.isAdmin', 'permissions.resources[0].type', 'permissions.resources[0].id', 'permissions.resources[0].organizationId', 'permissions.resources[0].folderId', 'permissions.resources[0].accessRole', 'permissions.resources[0].expiresAt'];
const mutatedBody = fc.tuple(cleanBody, fc.constantFrom(...FIELDS), fc.oneof(id, email, name, wrongType)).map(([clean, field, value]) => {
  const body = structuredClone(clean);
  const props = (body['userProperties'] ??= {}) as Record<string, unknown>;
  const resources = ((body['permissions'] ??= { resources: [] }) as { resources: Record<string, unknown>[] }).resources;
  if (resources.length === 0) resources.push({ type: 'document', id: 'doc-1', organizationId: props['organizationId'] ?? 'acme' });
  const property = field.slice(field.lastIndexOf('.') + 1);
  if (field === 'userId') body['userId'] = value;
  else if (field.startsWith('userProperties')) props[property] = value;
  else resources[0]![property] = value;
  return body;
});

const request = fc.record({
  door: fc.constantFrom('v1', 'v2'),
  body: fc.oneof(cleanBody, mutatedBody, wildBody),
});

// ─────────────────────────────────────── what to expect ───────────────────────────────────────

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
/** The value at `a.b[2].c` in `root`, or undefined. */
function at(root: unknown, path: string): unknown {
  let value = root;
  for (const [, key, index] of path.matchAll(/\.?([A-Za-z]+)|\[(\d+)\]/g)) {
    if (key !== undefined) value = isObject(value) ? value[key] : undefined;
    else value = Array.isArray(value) ? value[Number(index)] : undefined;
  }
  return value;
}
const FIELD_PATH = /^((?:data\.)?(?:userId|userProperties|permissions)(?:\.[A-Za-z]+|\[\d+\])*)( |\.$)/;
/** Rules of the token API alone: not about a field's content, so sign-in has no counterpart. */
const TOKEN_API_ONLY = [/must all belong to the user's organization/, /make the token \d+ characters long/, /must be an object\.$/, /must be an array\.$/, /is required( for a \w+)?\.$/];

/**
 * The signed-token form of a field the token API refused, alone in an otherwise valid payload:
 * `userId` is `user.id`, `userProperties.x` is `user.x`, `permissions` is itself.
 */
function signedForm(path: string, body: Record<string, unknown>): { payload: Record<string, unknown>; path: string } | undefined {
  const value = at(body, path);
  if (path === 'userId') return { payload: { user: { id: value } }, path: 'user.id' };
  const property = /^userProperties\.(\w+)$/.exec(path)?.[1];
  // A signed token may send null to clear its email or name; the token API has nothing to clear.
  if (property !== undefined) return value === null && (property === 'email' || property === 'name') ? undefined : { payload: { user: { id: 'u', [property]: value } }, path: `user.${property}` };
  if (path.startsWith('permissions.resources')) return { payload: { user: { id: 'u' }, permissions: body['permissions'] }, path };
  return undefined;
}

describe('every token the token API mints signs in; every refusal names its field', () => {
  let t: TestApp;
  let credentials: { apiKey: string; authToken: string };
  /** Which account holds each (normalised) email, as sign-in will find it. */
  const emailOwner = new Map<string, string>();
  const emailOf = new Map<string, string>();
  const tally = { minted: 0, signedIn: 0, emailConflict: 0, refused: 0, refusedLikeSignIn: 0 };

  beforeAll(async () => {
    t = await createTestApp({ env: { PARLEY_SEAT_LIMIT: '100000' } });
    credentials = await t.app.services.apiCredentials.create('fuzz', t.clock.now);
    console.info(`minted-tokens-sign-in: seed ${SEED}, ${RUNS} runs (replay with PARLEY_FUZZ_SEED=${SEED})`);
  });
  afterAll(async () => {
    console.info(`minted-tokens-sign-in: ${JSON.stringify(tally)}`);
    await t?.close();
  });

  it(`holds for ${RUNS} generated requests`, async () => {
    await fc.assert(
      fc.asyncProperty(request, async ({ door, body }) => {
        const v1 = door === 'v1';
        const res = await t.app.inject({
          method: 'POST',
          url: v1 ? '/v1/auth/token/get' : '/v2/auth/generate_token',
          headers: { 'content-type': 'application/json', ...(v1 ? {} : { 'x-api-key': credentials.apiKey, 'x-auth-token': credentials.authToken }) },
          payload: JSON.stringify(v1 ? { data: { ...credentials, ...body } } : body),
        });

        if (res.statusCode !== 200) {
          tally.refused++;
          expect(res.statusCode, res.body).toBe(400);
          const { error } = res.json() as { error: { status: string; message: string } };
          expect(error.status).toBe('INVALID_ARGUMENT');
          const named = FIELD_PATH.exec(error.message)?.[1];
          expect(named, `the message names a field: ${error.message}`).toBeDefined();
          const path = v1 ? named!.replace(/^data\./, '') : named!;
          expect(v1 ? named!.startsWith('data.') : !named!.startsWith('data.'), error.message).toBe(true);
          if (!/is required/.test(error.message)) expect(at(body, path), `${path} is in the input`).not.toBeUndefined();
          if (TOKEN_API_ONLY.some((rule) => rule.test(error.message))) return;
          const signed = signedForm(path, body);
          if (!signed) return;
          // The same field in a signed token: sign-in refuses it, for the same reason. A NUL is found while the
          // body is parsed, before the fields are read in order, so for one only the refusal itself must agree.
          tally.refusedLikeSignIn++;
          const value = at(body, path);
          if (typeof value === 'string' && value.includes('\u0000')) expect(typeof readIdentity(signed.payload)).toBe('string');
          else expect(readIdentity(signed.payload)).toBe(`${signed.path}${error.message.slice(named!.length, -1)}`);
          return;
        }

        tally.minted++;
        const token = (res.json() as { result: { data: { token: string } } }).result.data.token;
        const exchange = await t.app.inject({ method: 'POST', url: '/api/v1/auth/exchange', payload: { externalAuthCode: token } });
        const userId = body.userId as string;
        const props = (body.userProperties ?? {}) as Record<string, unknown>;
        const given = typeof props['email'] === 'string' ? normalizeEmail(props['email']) : undefined;
        // Another account already holds this email: sign-in refuses the update, as it must.
        if (given !== undefined && emailOwner.has(given) && emailOwner.get(given) !== userId) {
          tally.emailConflict++;
          expect(exchange.statusCode, exchange.body).toBe(409);
          expect(exchange.json().error.code).toBe('email_conflict');
          return;
        }
        expect(exchange.statusCode, `${exchange.body} for ${JSON.stringify(body)}`).toBe(200);
        tally.signedIn++;
        const user = exchange.json().user;
        expect(user.externalId).toBe(userId);
        if (props['name'] !== undefined) expect(user.name).toBe(props['name']);
        if (props['email'] !== undefined) expect(user.email).toBe(props['email']);
        if (props['organizationId'] !== undefined) expect(user.organizationId).toBe(props['organizationId']);
        if (given !== undefined) {
          const previous = emailOf.get(userId);
          if (previous !== undefined) emailOwner.delete(previous);
          emailOwner.set(given, userId);
          emailOf.set(userId, given);
        }
      }),
      { seed: SEED, numRuns: RUNS },
    );
    // A run that mints nothing, or refuses nothing, proves little.
    expect(tally.signedIn).toBeGreaterThan(RUNS / 10);
    expect(tally.refusedLikeSignIn).toBeGreaterThan(RUNS / 10);
  });
});

/**
 * The inbox search (`GET /api/v1/admin/conversations?q=`) among 100,000 messages in 5,000 conversations of
 * 2,500 customers and 5 administrators, against the inbox list without `q` (the baseline) measured on the
 * same data in the same run: in process (`app.inject`, the whole route), each query asked in turn, p50 and
 * p99 in ms. `node dist/bench/search.js sqlite|postgres [--quick]` (bundled by bench/run.mjs) prints one JSON
 * line; on PostgreSQL in a schema of its own on PARLEY_TEST_POSTGRES_URL, dropped afterwards, or
 * `{"skipped": …}` when it does not answer.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import pg from 'pg';
import { buildApp } from '../server/src/app.js';
import { loadConfig } from '../server/src/config.js';
import { openStore, type Store } from '../server/src/store/database.js';

const dialect = process.argv[2] === 'postgres' ? 'postgres' : 'sqlite';
const quick = process.argv.includes('--quick');
const CONVERSATIONS = 5_000;
const MESSAGES_PER_CONVERSATION = 20;
const CUSTOMERS = 2_500;
const ADMINS = 5;
const RUNS = quick ? 50 : 200;
const BATCH = 500;
const SEED = Number(process.env['BENCH_SEED'] ?? 20261202);
const POSTGRES_URL = process.env['PARLEY_TEST_POSTGRES_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';

/** mulberry32: the same data for the same seed, on both databases. */
function random(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const rand = random(SEED);
const pick = <T>(list: readonly T[]) => list[Math.floor(rand() * list.length)]!;
/** Zipf-like: the first words of a list come up far more often than the last. */
const zipf = <T>(list: readonly T[]) => list[Math.floor(list.length * rand() ** 3)]!;

const FIRST = ['Alice', 'Bruno', 'Chloé', 'Dmitri', 'Emma', 'Farid', 'Grace', 'Hiro', 'Inès', 'Jonas', 'Karin', 'Luca', 'Maya', 'Nadia', 'Omar', 'Priya', 'Quentin', 'Rosa', 'Sven', 'Tariq', 'Uma', 'Victor', 'Wen', 'Yara', 'Zoé'];
const LAST = ['Martin', 'Bernard', 'Dubois', 'Schmidt', 'Rossi', 'García', 'Nowak', 'Kowalski', 'Jensen', 'Haddad', 'Tanaka', 'Okafor', 'Silva', 'Novak', 'Laurent', 'Meyer', 'Fischer', 'Moreau', 'Costa', 'Ibrahim'];
const DOMAINS = ['acme.test', 'globex.test', 'initech.test', 'umbrella.test', 'hooli.test', 'stark.test', 'wayne.test', 'wonka.test'];
const TOPICS = ['invoice', 'refund', 'password', 'login', 'printer', 'shipping', 'delivery', 'subscription', 'account', 'payment', 'upgrade', 'export', 'import', 'calendar', 'notification', 'integration', 'webhook', 'dashboard', 'report', 'billing', 'license', 'mobile', 'android', 'iphone', 'browser', 'firefox', 'safari', 'chrome', 'timeout', 'crash', 'sync', 'backup', 'storage', 'quota', 'permissions', 'invitation', 'workspace', 'domain', 'certificate', 'firewall'];
const PROBLEMS = ['does not work', 'is broken', 'keeps failing', 'shows an error', 'is very slow', 'disappeared', 'was charged twice', 'cannot be found', 'stopped syncing', 'looks wrong'];
const OPENERS = ['Hello', 'Hi team', 'Good morning', 'Hey', 'Bonjour', 'Dear support'];
const FILLER = ['since yesterday', 'after the last update', 'on my laptop', 'for the whole team', 'again this morning', 'every time I try', 'when I open the app', 'on the new version', 'for our customers', 'in the settings page'];
const ANSWERS = ['Thanks for reaching out, we are looking into it', 'Could you send a screenshot of the error', 'I have escalated this to our engineers', 'This should be fixed now, can you try again', 'I refunded the duplicate charge', 'Please clear the cache and sign in again', 'We released a fix this morning', 'Can you confirm the email address on the account'];
const message = () =>
  rand() < 0.2
    ? `${pick(ANSWERS)}. Ticket ${Math.floor(rand() * 90_000) + 10_000}.`
    : `${pick(OPENERS)}, my ${zipf(TOPICS)} ${pick(PROBLEMS)} ${pick(FILLER)}. ${rand() < 0.5 ? `Also the ${zipf(TOPICS)} ${pick(PROBLEMS)}.` : ''} Order INV-${Math.floor(rand() * 90_000) + 10_000}`;

async function seed(store: Store, now: number): Promise<string> {
  const users = [
    ...Array.from({ length: ADMINS }, (_, i) => ({ id: `usr_admin${i}`, name: `${pick(FIRST)} Support${i}`, email: `agent${i}@parley.test`, role: i === 0 ? ('owner' as const) : ('admin' as const) })),
    ...Array.from({ length: CUSTOMERS }, (_, i) => {
      const first = pick(FIRST);
      const last = pick(LAST);
      return { id: `usr_c${String(i).padStart(5, '0')}`, name: `${first} ${last}`, email: `${first}.${last}${i}@${pick(DOMAINS)}`.toLowerCase(), role: 'member' as const };
    }),
  ];
  await store.db.transaction().execute(async (trx) => {
    for (let i = 0; i < users.length; i += BATCH) {
      await trx
        .insertInto('users')
        .values(users.slice(i, i + BATCH).map((u) => ({ ...u, external_id: u.id, email_normalized: u.email, avatar_url: null, metadata: '{}', organization_id: 'default', active: 1, created_via: 'external_token' as const, created_at: now, last_seen_at: null })))
        .execute();
    }
    const statuses = ['open', 'open', 'open', 'resolved', 'snoozed'] as const;
    const conversations = Array.from({ length: CONVERSATIONS }, (_, i) => {
      const customer = `usr_c${String(i % CUSTOMERS).padStart(5, '0')}`;
      const admin = `usr_admin${i % ADMINS}`;
      const status = pick(statuses);
      return { id: `cnv_bench${String(i).padStart(5, '0')}`, customer, admin, status, assignee: rand() < 0.5 ? admin : null };
    });
    for (let i = 0; i < conversations.length; i += BATCH) {
      const batch = conversations.slice(i, i + BATCH);
      await trx
        .insertInto('conversations')
        .values(batch.map((c, j) => ({ id: c.id, organization_id: 'default', document_id: null, title: `${zipf(TOPICS)} ${pick(PROBLEMS)}`, created_by: c.customer, created_at: now - (i + j) * 60_000, last_message_at: now - (i + j) * 60_000, status: c.status, assignee_id: c.assignee, snoozed_until: c.status === 'snoozed' ? now + 3_600_000 : null })))
        .execute();
      await trx
        .insertInto('participants')
        .values(batch.flatMap((c) => [{ conversation_id: c.id, user_id: c.customer, joined_at: now }, { conversation_id: c.id, user_id: c.admin, joined_at: now }]))
        .execute();
    }
    const messages = conversations.flatMap((c, i) =>
      Array.from({ length: MESSAGES_PER_CONVERSATION }, (_, k) => {
        const byAdmin = k % 2 === 1;
        return { id: `msg_b${i}_${k}`, conversation_id: c.id, author_type: 'user' as const, author_id: byAdmin ? c.admin : c.customer, text: message(), client_message_id: null, created_at: now - i * 60_000 - (MESSAGES_PER_CONVERSATION - k) * 1000, internal: byAdmin && rand() < 0.1 ? 1 : 0 };
      }),
    );
    for (let i = 0; i < messages.length; i += BATCH) await trx.insertInto('messages').values(messages.slice(i, i + BATCH)).execute();
  });
  return 'usr_admin0';
}

/** The queries asked, as an administrator would type them. */
const QUERIES: [label: string, query: string][] = [
  ['a frequent word', 'q=invoice'],
  ['a rare word', 'q=firewall'],
  ['two words', 'q=refund charged'],
  ['a prefix of 3 letters', 'q=pas'],
  ['a customer’s name', 'q=dubois'],
  ['a customer’s email domain', 'q=initech'],
  ['an order number', 'q=INV-48213'],
  ['a name and a word, open only', 'q=martin+printer&status=open'],
  ['a word nobody wrote', 'q=zeppelin'],
];

async function measure(): Promise<object> {
  let dir: string | undefined;
  let schema: string | undefined;
  let store: Store;
  const started = performance.now();
  if (dialect === 'sqlite') {
    dir = mkdtempSync(join(tmpdir(), 'parley-search-bench-'));
    store = await openStore({ kind: 'sqlite', path: join(dir, 's.db') });
  } else {
    const probe = new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 2000 });
    try {
      await probe.connect();
    } catch (error) {
      return { skipped: `PostgreSQL does not answer at ${POSTGRES_URL} (${(error as Error).message})` };
    } finally {
      await probe.end().catch(() => undefined);
    }
    schema = `bench_search_${randomBytes(4).toString('hex')}`;
    store = await openStore({ kind: 'postgres', url: POSTGRES_URL }, { schema });
  }
  try {
    const now = Date.now();
    const ownerId = await seed(store, now);
    if (dialect === 'postgres') await sql`analyze`.execute(store.db);
    const seedSeconds = (performance.now() - started) / 1000;
    const app = await buildApp({ config: loadConfig({ PARLEY_SEAT_LIMIT: String(CUSTOMERS + ADMINS + 10), LOG_LEVEL: 'silent' }), store });
    const session = await app.services.sessions.create({ id: ownerId, session_epoch: 0 }, now, 3_600_000);
    const headers = { authorization: `Bearer ${session.token}` };
    const ask = async (query: string) => {
      const start = performance.now();
      const res = await app.inject({ method: 'GET', url: `/api/v1/admin/conversations${query ? `?${query}` : ''}`, headers });
      const ms = performance.now() - start;
      if (res.statusCode !== 200) throw new Error(`${query}: ${res.statusCode} ${res.body}`);
      return { ms, found: (res.json() as { conversations: unknown[] }).conversations.length };
    };
    const cases: [string, string][] = [['baseline: the inbox list without q', ''], ...QUERIES];
    const samples = cases.map(() => [] as number[]);
    const found = cases.map(() => 0);
    for (const [, query] of cases) await ask(query); // warm-up: statements prepared, pages cached
    // In turns, so that drift on a shared machine moves every query alike.
    for (let run = 0; run < RUNS; run++) {
      for (let c = 0; c < cases.length; c++) {
        const { ms, found: n } = await ask(cases[c]![1]);
        samples[c]!.push(ms);
        found[c] = n;
      }
    }
    await app.close();
    const quantile = (values: number[], q: number) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(values.length * q))]!;
    const base = { p50: quantile(samples[0]!, 0.5), p99: quantile(samples[0]!, 0.99) };
    const allSearches = samples.slice(1).flat();
    return {
      dialect,
      seed: SEED,
      conversations: CONVERSATIONS,
      messages: CONVERSATIONS * MESSAGES_PER_CONVERSATION,
      runs: RUNS,
      seedSeconds: Number(seedSeconds.toFixed(1)),
      cases: cases.map(([label, query], c) => ({ label, query, found: found[c], p50: Number(quantile(samples[c]!, 0.5).toFixed(2)), p99: Number(quantile(samples[c]!, 0.99).toFixed(2)), p99Ratio: Number((quantile(samples[c]!, 0.99) / base.p99).toFixed(2)) })),
      searches: { p50: Number(quantile(allSearches, 0.5).toFixed(2)), p99: Number(quantile(allSearches, 0.99).toFixed(2)), p99Ratio: Number((quantile(allSearches, 0.99) / base.p99).toFixed(2)) },
    };
  } finally {
    await store.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
    if (schema) {
      const admin = new pg.Client({ connectionString: POSTGRES_URL });
      await admin.connect();
      await admin.query(`drop schema if exists ${schema} cascade`);
      await admin.end();
    }
  }
}

console.log(JSON.stringify(await measure()));

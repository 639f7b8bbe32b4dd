/**
 * The outbox's throughput: webhook deliveries per second to a receiver on 127.0.0.1, against a baseline of
 * the same number of bare signed POSTs to the same receiver, with as many in flight as the worker sends at
 * once, measured in the same run. In process on SQLite: an owner's webhook endpoint subscribed to
 * `message.created`, DELIVERIES messages posted in 50 conversations through the chat service (each enqueues its
 * delivery in its own transaction) while no worker runs, then the worker drains them all; the receiver verifies nothing (the tests do) and answers 204.
 * `node dist/bench/outbox.js [--quick]` (bundled by bench/run.mjs) prints one JSON line.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, request, Agent } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Webhook } from 'standardwebhooks';
import { loadConfig } from '../server/src/config.js';
import { openStore } from '../server/src/store/database.js';
import { createServices } from '../server/src/services.js';

const quick = process.argv.includes('--quick');
const DELIVERIES = quick ? 1_000 : 3_000;
const CONVERSATIONS = 50;
/** What the worker sends at once (outbound/worker.ts's default). */
const IN_FLIGHT = 8;

let received = 0;
const receiver = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    received++;
    res.writeHead(204).end();
  });
});
await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;

/** The baseline: DELIVERIES signed POSTs of a delivery's size, IN_FLIGHT at a time, each on a new connection as the sender's are. */
async function bareRun(): Promise<number> {
  const webhook = new Webhook(`whsec_${Buffer.alloc(24, 7).toString('base64')}`);
  const body = JSON.stringify({ type: 'message.created', timestamp: new Date().toISOString(), data: { message: { id: 'msg_x', text: 'x'.repeat(200) } } });
  const agent = new Agent({ keepAlive: false });
  let next = 0;
  const started = performance.now();
  const lane = async () => {
    while (next++ < DELIVERIES) {
      await new Promise<void>((resolve, reject) => {
        const req = request(url, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'webhook-id': 'msg_x', 'webhook-timestamp': '1', 'webhook-signature': webhook.sign('msg_x', new Date(), body) } }, (res) => {
          res.resume();
          res.on('end', resolve);
        });
        req.on('error', reject);
        req.end(body);
      });
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, lane));
  return performance.now() - started;
}

const dir = mkdtempSync(join(tmpdir(), 'parley-outbox-bench-'));
const store = await openStore({ kind: 'sqlite', path: join(dir, 'o.db') });
try {
  // The services alone, their background work not started: the measured drain is the only sender.
  const config = loadConfig({ PARLEY_SEAT_LIMIT: '100', PARLEY_WEBHOOKS_ALLOW_PRIVATE: 'true', LOG_LEVEL: 'silent' });
  const services = createServices({ config, store, now: () => Date.now(), publicUrl: () => 'http://127.0.0.1:3000', jwksFetch: async () => ({ keys: [] }) as never });
  const now = Date.now();
  const account = (id: string, role: 'owner' | 'member') =>
    store.db
      .insertInto('users')
      .values({ id, external_id: id, email: `${id}@bench.test`, email_normalized: `${id}@bench.test`, name: id, avatar_url: null, metadata: '{}', role, organization_id: 'default', active: 1, created_via: 'external_token', created_at: now, last_seen_at: null })
      .execute();
  await account('usr_bench_owner', 'owner');
  await account('usr_bench_user', 'member');
  const owner = (await services.users.findById('usr_bench_owner'))!;
  const user = (await services.users.findById('usr_bench_user'))!;
  await services.useCases.webhooks.create({ actor: { kind: 'user', user: owner }, origin: null, ip: null }, { url, events: ['message.created'], description: null, enabled: true });

  const conversations: string[] = [];
  for (let c = 0; c < CONVERSATIONS; c++) conversations.push((await services.chat.createConversation(user, `Bench ${c}`)).id);
  const enqueueStarted = performance.now();
  for (let i = 0; i < DELIVERIES; i++) await services.chat.postMessage(user, conversations[i % CONVERSATIONS]!, `message ${i} ${'x'.repeat(180)}`, `b${i}`);
  const enqueueMs = performance.now() - enqueueStarted;
  // (Beside them, each conversation's notice to the team, due in minutes: not sent by this drain.)
  const webhookRows = async (status: string) => Number((await store.db.selectFrom('outbox').select((eb) => eb.fn.countAll().as('n')).where('kind', '=', 'webhook').where('status', '=', status as never).executeTakeFirstOrThrow()).n);
  if ((await webhookRows('pending')) !== DELIVERIES) throw new Error(`expected ${DELIVERIES} pending deliveries, got ${await webhookRows('pending')}`);
  const started = performance.now();
  await services.outboundWorker.drain();
  const drainMs = performance.now() - started;
  const delivered = received;
  const counts = { done: await webhookRows('done'), pending: await webhookRows('pending'), failed: await webhookRows('failed') };
  const bareMs = await bareRun();
  console.log(
    JSON.stringify({
      deliveries: DELIVERIES,
      delivered,
      inFlight: IN_FLIGHT,
      deliveriesPerSecond: Number(((delivered / drainMs) * 1000).toFixed(0)),
      barePerSecond: Number(((DELIVERIES / bareMs) * 1000).toFixed(0)),
      ratio: Number((bareMs / drainMs).toFixed(2)),
      messagesPerSecondWhileEnqueueing: Number(((DELIVERIES / enqueueMs) * 1000).toFixed(0)),
      outbox: counts,
    }),
  );
} finally {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
  receiver.close();
}

// The cluster bench's baseline: the least a server can do to give the same guarantees as Parley's live
// delivery on PostgreSQL, with no framework, no sign-in, no access rules and no other features. Several of
// them share one database. POST /api/v1/conversations/:id/messages stores the message and its event in one
// statement, which also notifies, and answers 201. The statement takes one advisory lock (held to its
// commit) before the event's id is drawn, so events commit in the order of their ids and a relay that reads
// past its cursor never skips one committed late (a fence by transaction id alone does skip: a transaction
// can draw a lower id and commit after one that drew a higher id). Every instance LISTENs, reads the events
// past its cursor and writes each to the local streams of that conversation's participants. GET
// /api/v1/events is an event stream; a bearer token is the stream's identity, and POST /setup names each
// conversation's participants by token. Tables: bench/bare-cluster.mjs creates them.
import http from 'node:http';
import pg from 'pg';

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 10 });
const listener = new pg.Client({ connectionString: process.env.DATABASE_URL });
await listener.connect();
await listener.query('listen bare_events');

/** conversation id → tokens of its participants; token → its open streams. */
const participants = new Map();
const streams = new Map();
let cursor = (await pool.query('select coalesce(max(id), 0)::bigint as id from bare_events')).rows[0].id;
let reading = false;
let again = false;

/** Delivers what has committed past the cursor; a read already running is asked to go round once more. */
async function relay() {
  if (reading) return void (again = true);
  reading = true;
  try {
    do {
      again = false;
      const { rows } = await pool.query('select id, conversation_id, payload from bare_events where id > $1 order by id limit 500', [cursor]);
      for (const row of rows) {
        cursor = row.id;
        const frame = `id: ${row.id}\nevent: message.created\ndata: ${row.payload}\n\n`;
        for (const token of participants.get(row.conversation_id) ?? []) for (const res of streams.get(token) ?? []) res.write(frame);
      }
      if (rows.length === 500) again = true;
    } while (again);
  } finally {
    reading = false;
  }
}
listener.on('notification', () => void relay().catch(() => undefined));

const body = (req) =>
  new Promise((resolve, reject) => {
    let data = '';
    req.setEncoding('utf8');
    req.on('data', (c) => (data += c));
    req.on('end', () => resolve(data ? JSON.parse(data) : {}));
    req.on('error', reject);
  });
const tokenOf = (req) => (req.headers.authorization ?? '').replace(/^Bearer /, '');

const server = http.createServer(async (req, res) => {
  try {
    if (req.method === 'GET' && req.url === '/api/v1/events') {
      const token = tokenOf(req);
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store' });
      res.write('event: ready\ndata: {}\n\n');
      (streams.get(token) ?? streams.set(token, new Set()).get(token)).add(res);
      req.on('close', () => streams.get(token)?.delete(res));
      return;
    }
    if (req.method === 'POST' && req.url === '/setup') {
      for (const [conversation, tokens] of Object.entries((await body(req)).participants)) participants.set(conversation, new Set(tokens));
      return void res.writeHead(204).end();
    }
    const posted = req.method === 'POST' ? /^\/api\/v1\/conversations\/([^/]+)\/messages$/.exec(req.url ?? '') : null;
    if (posted) {
      const conversation = posted[1];
      if (!participants.get(conversation)?.has(tokenOf(req))) return void res.writeHead(404).end();
      const { text, clientMessageId } = await body(req);
      const { rows } = await pool.query(
        `with ordered as (select pg_advisory_xact_lock(7203) as locked),
              m as (insert into bare_messages (conversation_id, author, text, client_message_id) select $1, $2, $3, $4 from ordered returning id, conversation_id, text, created_at),
              e as (insert into bare_events (conversation_id, payload) select conversation_id, json_build_object('message', json_build_object('id', id, 'conversationId', conversation_id, 'text', text, 'createdAt', created_at))::text from m returning payload)
         select e.payload, pg_notify('bare_events', '') from e`,
        [conversation, tokenOf(req), text, clientMessageId],
      );
      res.writeHead(201, { 'content-type': 'application/json' });
      return void res.end(rows[0].payload);
    }
    res.writeHead(404).end();
  } catch (error) {
    res.writeHead(500).end(String(error));
  }
});
server.listen(0, '127.0.0.1', () => process.stdout.write(`http://127.0.0.1:${server.address().port}\n`));
process.on('SIGTERM', () => process.exit(0));

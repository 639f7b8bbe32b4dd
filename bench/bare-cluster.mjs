// Starts the cluster bench's baseline (bench/bare-cluster-server.mjs) on a database of the bench's: its two
// tables, then `count` instances, each told who takes part in the layouts' conversations.
import { join } from 'node:path';
import pg from 'pg';
import { startProcess } from './fanout.mjs';

const SCHEMA = `
create table if not exists bare_messages (id bigserial primary key, conversation_id text not null, author text not null, text text not null, client_message_id text not null, created_at timestamptz not null default now(), unique (conversation_id, author, client_message_id));
create table if not exists bare_events (id bigserial primary key, conversation_id text not null, payload text not null);
`;

/** Each conversation of `layouts` (bench/document-rooms.mjs's) with the tokens of the streams it is due on. */
function participantsOf(layouts) {
  const map = {};
  for (const { sessions, target } of layouts) {
    for (let m = 0; m < sessions.length * 2; m++) {
      const { conversation, due } = target(m);
      map[conversation] = [...new Set([...(map[conversation] ?? []), ...due.map((i) => sessions[i])])];
    }
  }
  return map;
}

export async function startBareCluster(root, databaseUrl, layouts, count = 2) {
  const db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
  await db.query(SCHEMA);
  await db.end();
  const instances = [];
  for (let i = 0; i < count; i++) instances.push(await startProcess(join(root, 'bench/bare-cluster-server.mjs'), { DATABASE_URL: databaseUrl }));
  const participants = participantsOf(layouts);
  for (const { base } of instances) {
    const res = await fetch(`${base}/setup`, { method: 'POST', body: JSON.stringify({ participants }) });
    if (res.status !== 204) throw new Error(`bare setup: HTTP ${res.status}`);
  }
  return {
    bases: instances.map((i) => i.base),
    pids: instances.map((i) => i.child.pid),
    async stop() {
      for (const { child } of instances) {
        child.kill('SIGTERM');
        await new Promise((r) => (child.exitCode !== null ? r() : child.once('exit', r)));
      }
    },
  };
}

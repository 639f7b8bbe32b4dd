/**
 * `GET /api/v1/events`: the user's live events as server-sent events. On connect the stream subscribes
 * first, then replays the log after `Last-Event-ID` (header, or `lastEventId` in the query for the first
 * connect of an EventSource), then flushes what arrived meanwhile, so nothing is missed and nothing is sent
 * twice. Without a Last-Event-ID it starts at the newest event, announced by `ready`. On PostgreSQL the
 * replay goes only up to what the cluster fan-out has published (store/events.ts: ids commit out of order,
 * and no stream may pass one still to commit); what is newer comes from the bus. A Last-Event-ID from before
 * what retention deleted gets `resync` (the client reloads its view) and the stream goes on from now.
 *
 * While the database is away an open stream stays open (heartbeats go on; the session re-check waits for
 * the database's return). An event whose delivery needs the database (a document room's grant) is tried
 * again with a short backoff; if that still fails the stream closes, and the client, told `retry:` at the
 * start, reconnects with its Last-Event-ID and gets the event from the log: an event is never skipped.
 *
 * Signals (chat/signals.ts: `typing`) go out under the same access rules, without an `id:` line, so the
 * stream's Last-Event-ID never moves for them and a resume never replays them; the typer's own streams do
 * not hear their typing. An administrator's stream is their admin panel open: it records their presence
 * (store/presence.ts) when it opens and at the first heartbeat of each minute after, and a failed write
 * is logged, never the end of the stream.
 */
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { BusEvent } from '../../chat/event-bus.js';
import { accountLimitsOf } from '../../chat/account-limits.js';
import { audienceOf, isAdministrator } from '../../chat/access.js';
import type { Signal } from '../../chat/signals.js';
import { EVENT } from '#shared/constants.js';
import { ParleyError } from '../../errors.js';
import type { EventRow } from '../../store/events.js';
import { changesOf } from '../../store/changes.js';
import { isDatabaseUnavailable } from '../../store/unavailable.js';

const BACKLOG_BATCH = 500;
/** A stream whose reader has fallen this far behind is closed (it reconnects and resumes by Last-Event-ID). */
const MAX_BUFFERED_BYTES = 1024 * 1024;
const RETRY_MS = 2000;
/**
 * The `retry:` of a stream ended by a shutdown: soon, but not at once, so the reconnect meets the closed
 * listening socket (and another instance) rather than this one, still closing.
 */
const SHUTDOWN_RETRY_MS = 1000;
/** A failed grant lookup is tried again after 100, 200, 400 and 800 ms, then the stream closes. */
const GRANT_RETRY_FIRST_MS = 100;
const GRANT_RETRIES = 4;

/**
 * With Redis on PostgreSQL a stream hears every end of its session as it happens (a logout on Redis,
 * an account's change on the change feed), so it re-reads its session only every this many heartbeats
 * (about five minutes), as a backstop, instead of at each one.
 */
const TRUSTED_RECHECK_EVERY = 20;

/** How often an open admin panel records its presence (PRESENCE_WINDOW_MS is twice this). */
const PRESENCE_EVERY_MS = 60_000;

/** A module constant, compiled once per process (app.ts). */
const EventsQuery = Type.Object({ lastEventId: Type.Optional(Type.String({ maxLength: 20 })) });

function parseLastEventId(raw: unknown): number | undefined {
  if (raw === undefined || raw === '') return undefined;
  if (typeof raw !== 'string' || !/^\d{1,15}$/.test(raw)) throw new ParleyError('bad_request', 'Last-Event-ID must be a non-negative integer.');
  return Number(raw);
}

function frame(event: EventRow): string {
  return `id: ${event.id}\nevent: ${event.type}\ndata: ${event.payload}\n\n`;
}

/** A signal has no id: it is not in the log, so nothing may resume from it. */
function signalFrame(signal: Signal): string {
  return `event: ${signal.type}\ndata: ${JSON.stringify(signal.data)}\n\n`;
}

export async function eventRoutes(parent: FastifyInstance, options: { heartbeatMs: number }) {
  const app = parent.withTypeProvider<TypeBoxTypeProvider>();
  const { requireSession, bus, events, access, signals, presence, eventHorizon } = app.services;
  const open = new Set<(destroy?: boolean, lastWords?: string) => void>();
  // Open streams would hold app.close() forever: end them first, each told to come back after
  // SHUTDOWN_RETRY_MS with its Last-Event-ID, by when this instance has stopped listening and the load
  // balancer sends it to another one.
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
    for (const close of open) close(false, `retry: ${SHUTDOWN_RETRY_MS}\n\n`);
  });

  app.get(
    '/events',
    { onRequest: requireSession, schema: { querystring: EventsQuery } },
    async (request, reply) => {
      const session = request.session!;
      const user = session.user;
      const lastEventId = parseLastEventId(request.headers['last-event-id'] ?? request.query.lastEventId);

      let lastSent = lastEventId ?? 0;
      let live = false;
      let closed = false;
      /** Whether this stream is in the open-streams gauge (from its 200 on). */
      let counted = false;
      const pending: BusEvent[] = [];
      const raw = reply.raw;
      // The account's grants, held for this stream and reloaded when they change (chat/access.ts).
      const streamAccess = access.forStream(user);

      /** Writes unless the stream has ended; a reader that stopped reading is dropped, not buffered forever. */
      const write = (chunk: string) => {
        if (closed || raw.writableEnded || raw.destroyed) return;
        if (raw.writableLength > MAX_BUFFERED_BYTES) return close(true);
        raw.write(chunk);
      };
      /** Resolves after `ms`, or as soon as the stream closes. */
      let wakeUp: (() => void) | undefined;
      const pause = (ms: number) =>
        new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, ms);
          wakeUp = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      /**
       * Whether the event is for this user, asking again while the lookup fails; undefined once the stream has
       * closed (it closes itself when the lookups keep failing, so that the client resumes from the log).
       */
      const mayReceive = async (e: BusEvent): Promise<boolean | undefined> => {
        for (let attempt = 0; ; attempt++) {
          try {
            const allowed = await streamAccess.mayReceive(e);
            return closed ? undefined : allowed;
          } catch (error) {
            if (closed) return undefined;
            if (attempt >= GRANT_RETRIES) {
              request.log[isDatabaseUnavailable(error) ? 'warn' : 'error']({ err: error, eventId: e.event.id }, 'event stream closed: access check failed');
              close();
              return undefined;
            }
            await pause(GRANT_RETRY_FIRST_MS * 2 ** attempt);
            if (closed) return undefined;
          }
        }
      };
      // Deliveries run one after another (access may need a lookup), so events keep their order. A live one's
      // latency is measured from its created_at, stamped by the app's clock in its transaction.
      const emit = (e: BusEvent, fromBus: boolean): void => {
        lastSent = e.event.id;
        write(frame(e.event));
        if (fromBus && !closed) app.metrics.eventDelivered((app.now() - e.event.created_at) / 1000);
      };
      const deliver = async (e: BusEvent, fromBus = false): Promise<void> => {
        if (closed || e.event.id <= lastSent) return;
        if (!(await mayReceive(e)) || e.event.id <= lastSent) return;
        emit(e, fromBus);
      };
      let chain = Promise.resolve();
      // Deliveries and signals waiting on the chain: while there are none, an event decided at once is written at once.
      let queued = 0;
      const failed = (error: unknown) => {
        request.log.error({ err: error }, 'event stream failed');
        close();
      };
      /** Runs `task` after everything before it on the chain; a failure it does not handle ends the stream. */
      const enqueue = (task: () => Promise<void>) => {
        queued++;
        chain = chain
          .then(task)
          .catch(failed)
          .then(() => {
            queued--;
          });
      };
      /** Hands a live event on, after those before it. */
      const send = (e: BusEvent) => {
        // Anything that fails here ends the stream (the client resumes from the log) rather than skip an event:
        // a listener that throws is dropped by the bus, which would leave the stream open and silent.
        try {
          const reach = streamAccess.reachesAtOnce(audienceOf(e));
          if (reach === false) return;
          if (reach === true && queued === 0) {
            if (!closed && e.event.id > lastSent) emit(e, true);
            return;
          }
        } catch (error) {
          return failed(error);
        }
        // deliver() handles its own failures.
        enqueue(() => deliver(e, true));
      };
      // Every event of the instance comes here: what surely is not this user's is skipped at once, unqueued.
      const unsubscribe = bus.subscribe((e) => (live ? send(e) : pending.push(e)));
      // Signals are for the moment: one that comes before the stream is live is not kept for later.
      const unsubscribeSignals = signals.subscribeSignals((signal) => {
        if (!live || closed || signal.senderId === user.id) return;
        // As in send(): a listener that throws would be dropped, leaving the stream without signals.
        try {
          if (streamAccess.reachesAtOnce(signal.audience) === false) return;
        } catch (error) {
          return failed(error);
        }
        // Queued like an event, so that an event after it is not written before it.
        enqueue(async () => {
          if (closed) return;
          try {
            if (await streamAccess.mayReach(signal.audience)) write(signalFrame(signal));
          } catch {
            // A signal whose audience cannot be checked now is dropped: the next one comes in seconds.
          }
        });
      });
      // The admin panel's presence: written at once, then at most once a minute while the stream is open.
      let presenceAt = -Infinity;
      const recordPresence = () => {
        const now = app.now();
        if (!isAdministrator(user) || now - presenceAt < PRESENCE_EVERY_MS) return;
        presenceAt = now;
        presence.seen(user, now).catch((error: unknown) => request.log.warn({ err: error }, 'presence not recorded'));
      };
      const unsubscribeSession = bus.onSessionEnded((ended) => {
        if ('sessionId' in ended ? ended.sessionId === session.id : ended.userId === user.id) close();
      });
      /** Closes the stream if its session or account no longer is what it was when the stream opened. */
      const recheck = () => {
        if (session.via === 'api_key') return;
        app.services.sessions.findValid(session.token, app.now()).then(
          (valid) => {
            if (!valid || !valid.user.active || valid.user.role !== user.role || valid.user.organization_id !== user.organization_id) close();
          },
          () => undefined,
        );
      };
      // A change to what the account may see, made on any instance (store/changes.ts): the client reconnects
      // and is checked again. After a dropped LISTEN connection (`*`) announcements may have been missed:
      // the session is checked at once.
      const unsubscribeChanges = changesOf(app.store).subscribe((topic) => {
        if (topic === `account:${user.id}`) close();
        else if (topic === '*') recheck();
      });

      // Each heartbeat also re-checks the session in the database, so a logout, deactivation, deletion or
      // change of role or organization made by another process on SQLite (the CLI) closes this stream within
      // one heartbeat; the client reconnects with what it is now allowed to see. With Redis on PostgreSQL,
      // only every TRUSTED_RECHECK_EVERY heartbeats while this instance's subscription has held since the
      // stream opened: every logout is published there, every other end on the change feed. A subscription
      // that comes back may have missed some: the session is checked at once, and trusted again after.
      const redis = app.store.dialect === 'postgres' ? app.redis : null;
      let heardSince = redis?.subscriptionEpoch();
      const trusted = () => redis !== null && redis.available() && redis.subscriptionEpoch() === heardSince;
      const unsubscribeResumed =
        redis?.onResubscribed(() => {
          heardSince = redis.subscriptionEpoch();
          recheck();
        }) ?? (() => undefined);
      let beats = 0;
      const heartbeat = setInterval(() => {
        write(': heartbeat\n\n');
        if (!trusted() || ++beats % TRUSTED_RECHECK_EVERY === 0) recheck();
        recordPresence();
      }, options.heartbeatMs);

      /** Ends the stream and releases everything it holds, once, whatever ended it. */
      function close(destroy = false, lastWords?: string): void {
        if (closed) return;
        if (lastWords !== undefined) write(lastWords);
        closed = true;
        if (counted) app.metrics.streamClosed();
        clearInterval(heartbeat);
        wakeUp?.();
        open.delete(close);
        unsubscribe();
        unsubscribeSignals();
        unsubscribeSession();
        unsubscribeChanges();
        unsubscribeResumed();
        streamAccess.close();
        if (destroy) raw.destroy();
        else if (!raw.writableEnded && !raw.destroyed) raw.end();
      }
      open.add(close);
      raw.on('close', () => close());
      raw.on('error', () => close(true));

      reply.hijack();
      // The client may have gone while the session was being checked: then there is nothing to stream.
      if (request.raw.destroyed || raw.destroyed) return close(true);
      // A stream whose session check ended after shutdown began is told to come back, like the open ones.
      if (closing) {
        raw.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'close' });
        return close(false, `retry: ${SHUTDOWN_RETRY_MS}\n\n`);
      }
      raw.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store',
        'x-accel-buffering': 'no',
        connection: 'keep-alive',
        ...(reply.getHeader('access-control-allow-origin') ? { 'access-control-allow-origin': String(reply.getHeader('access-control-allow-origin')), vary: 'Origin' } : {}),
      });
      counted = true;
      app.metrics.streamOpened();
      write(`retry: ${RETRY_MS}\n\n`);
      recordPresence();
      // At most PARLEY_STREAMS_PER_ACCOUNT open streams: one more closes the oldest, which is told why first.
      raw.once('close', accountLimitsOf(app).openStream(user.id, (reason) => {
        write(`event: closed\ndata: ${JSON.stringify({ reason })}\n\n`);
        close();
      }));

      try {
        let resync = false;
        if (lastEventId !== undefined) {
          for (;;) {
            const from = lastSent;
            const batch = await events.listSince(access.streamScope(user), from, BACKLOG_BATCH, eventHorizon.through ?? undefined);
            // Events after `from` that retention deleted are gone: the client is told to resync, and the stream
            // goes on from now. Asked after the read: a deletion the read may have missed is recorded by then.
            if (from < (await events.prunedThrough())) {
              resync = true;
              break;
            }
            // The log already scoped these to the user's conversations (or organization); grants still apply.
            for (const event of batch) await deliver({ event, participantIds: [user.id] });
            if (closed) return;
            lastSent = Math.max(lastSent, batch.at(-1)?.id ?? from);
            if (batch.length < BACKLOG_BATCH) break;
          }
        }
        if (lastEventId === undefined || resync) {
          const latest = eventHorizon.through ?? (await events.latestId());
          // Events published since we subscribed are delivered even if they committed before `latest` was read.
          const firstPending = pending[0]?.event.id;
          lastSent = Math.max(lastSent, firstPending === undefined ? latest : Math.min(latest, firstPending - 1));
          if (resync) write(`id: ${lastSent}\nevent: ${EVENT.resync}\ndata: {}\n\n`);
        }
        write(`id: ${lastSent}\nevent: ready\ndata: {}\n\n`);
        live = true;
        for (const e of pending.splice(0)) send(e);
      } catch (error) {
        // The client reconnects after `retry:` with its Last-Event-ID, and the replay starts over.
        request.log[isDatabaseUnavailable(error) ? 'warn' : 'error']({ err: error }, 'event stream failed');
        close();
      }
    },
  );
}

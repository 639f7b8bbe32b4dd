/**
 * PostgreSQL's LISTEN for a store: one dedicated connection for every channel. Notifications reach the
 * listeners in the order their transactions committed, whatever their channel (a signal sent before an
 * event's commit is heard before it), and an instance holds one connection for them all.
 *
 * The connection comes back after any drop (retrying every second at most while the database is away),
 * LISTENs again on every channel, and then wakes each listener once with LISTEN_RESUMED, so that it catches
 * up with whatever committed while it was away. The first connection is the caller's to report: when it
 * cannot be opened, `listen` throws and nothing retries behind the caller's back.
 */
import pg from 'pg';

/**
 * What a listener hears once its connection is back after a drop: notifications sent meanwhile are lost, so
 * it catches up (the fan-out reads the events it missed; caches of changes start afresh). NOTIFY payloads
 * of Parley are never `*`.
 */
export const LISTEN_RESUMED = '*';

const CONNECT_TIMEOUT_MS = 2000;
/**
 * Reconnect delays: 100 ms doubling up to 1 s, so that the connection is back (and the relay has caught up)
 * within about a second of the database's return, at one attempt a second while it is away.
 */
const RETRY_FIRST_MS = 100;
const RETRY_MAX_MS = 1000;

const CHANNEL_NAME = /^[a-z_][a-z0-9_]{0,62}$/;
const ignore = () => undefined;

export type Listen = (channel: string, onNotify: (payload: string) => void) => Promise<() => Promise<void>>;

export function createListener(options: { url: string; schema?: string | undefined }): { listen: Listen; close(): Promise<void> } {
  const channels = new Map<string, Set<(payload: string) => void>>();
  /** The connection in use or being opened; null while there is none (none wanted, or waiting to reconnect). */
  let client: pg.Client | null = null;
  /** The channels the connection in use LISTENs on (asked, at least). */
  let listened = new Set<string>();
  /** The connection being opened, until it listens on every channel. */
  let opening: Promise<void> | null = null;
  let retry: ReturnType<typeof setTimeout> | undefined;
  let failures = 0;

  const heard = (channel: string, payload: string) => {
    for (const onNotify of channels.get(channel) ?? []) onNotify(payload);
  };

  /** Opens a connection and LISTENs on every channel wanted, the ones added meanwhile included. */
  const open = async (): Promise<void> => {
    const next = new pg.Client({
      connectionString: options.url,
      application_name: `parley-listen:${options.schema ?? 'public'}`,
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
      keepAlive: true,
      ...(options.schema ? { options: `-c search_path=${options.schema}` } : {}),
    });
    next.on('notification', (message) => heard(message.channel, message.payload ?? ''));
    // A drop emits 'error', 'end' or both, at any time, even during connect: the first one counts.
    next.on('error', () => lost(next));
    next.on('end', () => lost(next));
    client = next;
    listened = new Set();
    await next.connect();
    for (const channel of channels.keys()) {
      listened.add(channel);
      await next.query(`listen ${channel}`);
    }
  };

  const lost = (which: pg.Client) => {
    if (client !== which) return;
    client = null;
    which.end().catch(ignore);
    if (channels.size === 0 || retry !== undefined) return;
    retry = setTimeout(reconnect, Math.min(RETRY_MAX_MS, RETRY_FIRST_MS * 2 ** failures++));
  };

  const reconnect = () => {
    retry = undefined;
    if (channels.size === 0 || client) return;
    const attempt = open();
    opening = attempt;
    attempt.then(
      () => {
        if (opening === attempt) opening = null;
        failures = 0;
        for (const channel of [...channels.keys()]) heard(channel, LISTEN_RESUMED);
      },
      // open() set `client` before it could fail: this schedules the next attempt (unless a drop already did).
      () => {
        if (opening === attempt) opening = null;
        if (client) lost(client);
      },
    );
  };

  /** Stops listening on `channel` for `onNotify`; the last listener gone, the connection is closed. */
  const stopListening = async (channel: string, onNotify: (payload: string) => void) => {
    const listeners = channels.get(channel);
    if (!listeners?.delete(onNotify) || listeners.size > 0) return;
    channels.delete(channel);
    const current = client;
    if (channels.size === 0) {
      clearTimeout(retry);
      retry = undefined;
      client = null;
      await current?.end().catch(ignore);
      return;
    }
    if (current && listened.delete(channel)) await current.query(`unlisten ${channel}`).catch(ignore);
  };

  return {
    async listen(channel, onNotify) {
      if (!CHANNEL_NAME.test(channel)) throw new TypeError(`bad channel name ${channel}`);
      const listeners = channels.get(channel) ?? new Set();
      channels.set(channel, listeners);
      listeners.add(onNotify);
      const stop = () => stopListening(channel, onNotify);
      for (;;) {
        if (client === null && retry === undefined && opening === null) {
          // No connection, none coming: this call opens it, and reports its failure.
          const attempt = open();
          opening = attempt;
          try {
            await attempt;
          } catch (error) {
            const failed = client as pg.Client | null; // open() set it before it failed
            client = null;
            await failed?.end().catch(ignore);
            await stop();
            throw error;
          } finally {
            if (opening === attempt) opening = null;
          }
          return stop;
        }
        if (opening === null) break;
        // Being opened: it LISTENs on the channels it finds, this one too if added in time.
        await opening.catch(ignore);
      }
      // Open (LISTEN here unless it did already), or waiting to reconnect: then this channel is LISTENed with
      // the others, and hears LISTEN_RESUMED.
      const current = client;
      if (current && !listened.has(channel)) {
        listened.add(channel);
        // A connection that drops meanwhile fails this; its successor LISTENs on every channel.
        await current.query(`listen ${channel}`).catch(ignore);
      }
      return stop;
    },
    async close() {
      channels.clear();
      clearTimeout(retry);
      retry = undefined;
      const current = client;
      client = null;
      await current?.end().catch(ignore);
    },
  };
}

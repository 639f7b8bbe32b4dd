/**
 * PostgreSQL's LISTEN for a store: one dedicated connection for every channel. Notifications reach the
 * listeners in the order their transactions committed, whatever their channel (a signal sent before an
 * event's commit is heard before it), and an instance holds one connection for them all.
 *
 * Once open, the connection comes back after any drop (retrying every second at most while the database is
 * away), LISTENs again on every channel, and then wakes each listener once with LISTEN_RESUMED, so that it
 * catches up with whatever committed while it was away. Opening it is the caller's to report: when it cannot
 * be opened, `listen` throws and nothing retries behind the caller's back (a `listen` waiting for that same
 * open tries once more itself). A listener that throws is reported as a warning; the others still hear.
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
  /** The LISTEN statements sent on the connection in use, by channel: a second listener of one waits for it. */
  let listening = new Map<string, Promise<void>>();
  /** Settles (never rejects) once the open in progress has succeeded or failed and been cleaned up after. */
  let opening: Promise<void> | null = null;
  /** Whether the connection has been open since the first listener came: only then does a drop mean a retry. */
  let established = false;
  let retry: ReturnType<typeof setTimeout> | undefined;
  let failures = 0;
  let closed = false;

  const heard = (channel: string, payload: string) => {
    for (const onNotify of channels.get(channel) ?? []) {
      try {
        onNotify(payload);
      } catch (error) {
        process.emitWarning(error instanceof Error ? error : new Error(String(error)), { code: 'PARLEY_LISTENER_FAILED' });
      }
    }
  };

  /** LISTENs on `channel` over `on`, once per connection. */
  const listenOn = (on: pg.Client, channel: string): Promise<void> => {
    let sent = listening.get(channel);
    if (!sent) {
      sent = on.query(`listen ${channel}`).then(ignore);
      listening.set(channel, sent);
    }
    return sent;
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
    listening = new Map();
    // pg never settles a connect whose client is ended meanwhile (a close, a stop): the end settles it here.
    const ended = new Promise<never>((_resolve, reject) => next.once('end', () => reject(new Error('the LISTEN connection ended'))));
    ended.catch(ignore);
    try {
      await Promise.race([next.connect(), ended]);
      for (const channel of channels.keys()) await listenOn(next, channel);
      if (closed || client !== next) throw new Error('the LISTEN connection was closed while it opened');
    } catch (error) {
      // Ended here whatever failed: a close while it connected could not end it yet (pg ends only a
      // connection under way).
      if (client === next) client = null;
      await next.end().catch(ignore);
      throw error;
    }
  };

  /** Runs an open, tracked in `opening` until it has settled and `after` has run. */
  const track = (after: (error: unknown) => void): Promise<void> => {
    const attempt = open().then(
      () => after(undefined),
      (error: unknown) => after(error ?? new Error('the LISTEN connection could not be opened')),
    );
    const settled: Promise<void> = attempt.then(ignore, ignore);
    opening = settled;
    void settled.then(() => {
      if (opening === settled) opening = null;
    });
    return attempt;
  };

  /** Tries again after the next delay, unless nothing wants the connection or a try is already due. */
  const retryLater = () => {
    // A connection that never opened is its caller's failure, not one to retry.
    if (closed || !established || channels.size === 0 || retry !== undefined) return;
    retry = setTimeout(reconnect, Math.min(RETRY_MAX_MS, RETRY_FIRST_MS * 2 ** failures++));
  };

  const lost = (which: pg.Client) => {
    if (client !== which) return;
    client = null;
    which.end().catch(ignore);
    retryLater();
  };

  const reconnect = () => {
    retry = undefined;
    if (closed || channels.size === 0 || client) return;
    void track((error) => {
      if (error !== undefined) return retryLater();
      failures = 0;
      for (const channel of [...channels.keys()]) heard(channel, LISTEN_RESUMED);
    });
  };

  /** Ends the connection and any retry: nothing is wanted any more. */
  const shut = async () => {
    clearTimeout(retry);
    retry = undefined;
    established = false;
    const current = client;
    client = null;
    await current?.end().catch(ignore);
  };

  /** Stops listening on `channel` for `onNotify`; the last listener gone, the connection is closed. */
  const stopListening = async (channel: string, onNotify: (payload: string) => void) => {
    const listeners = channels.get(channel);
    if (!listeners?.delete(onNotify) || listeners.size > 0) return;
    channels.delete(channel);
    if (channels.size === 0) return shut();
    const current = client;
    if (current && listening.delete(channel)) await current.query(`unlisten ${channel}`).catch(ignore);
  };

  return {
    async listen(channel, onNotify) {
      if (!CHANNEL_NAME.test(channel)) throw new TypeError(`bad channel name ${channel}`);
      if (closed) throw new Error('the store is closed');
      const listeners = channels.get(channel) ?? new Set();
      channels.set(channel, listeners);
      listeners.add(onNotify);
      const stop = () => stopListening(channel, onNotify);
      for (;;) {
        if (closed) {
          await stop();
          throw new Error('the store is closed');
        }
        if (client === null && retry === undefined && opening === null) {
          // No connection, none coming: this call opens it, and reports its failure.
          let failure: unknown;
          await track((error) => {
            if (error === undefined) established = true;
            else failure = error;
          });
          if (failure === undefined) return stop;
          await stop();
          throw failure;
        }
        if (opening === null) break;
        // Being opened: it LISTENs on the channels it finds (this one too if added in time), or fails, and
        // then this call looks again.
        await opening;
      }
      // Open: LISTEN here, or wait for the LISTEN another call sent. Waiting to reconnect: this channel is
      // LISTENed with the others then, and hears LISTEN_RESUMED.
      const current = client;
      // A connection that drops meanwhile fails this; its successor LISTENs on every channel.
      if (current) await listenOn(current, channel).catch(ignore);
      return stop;
    },
    async close() {
      closed = true;
      channels.clear();
      await shut();
    },
  };
}

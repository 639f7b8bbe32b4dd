/**
 * Which failures mean "the database cannot be reached right now", as opposed to "this request is wrong" or
 * "Parley has a bug". A request that meets one answers 503 `database_unavailable` with a Retry-After (the
 * error handler in app.ts), a health check answers 503, and background work (the cluster fan-out, the
 * LISTEN connection) tries again; anything else stays a 500 `internal_error`.
 */

/** What a 503 `database_unavailable` tells the client to wait, in seconds: the server recovers within 2 s. */
export const DATABASE_RETRY_AFTER_SECONDS = 2;

/**
 * PostgreSQL SQLSTATEs (Appendix A of its manual) that mean the server is going away, not yet back, or out of
 * connection slots: 57P01 admin_shutdown, 57P02 crash_shutdown, 57P03 cannot_connect_now (starting up or
 * shutting down), 53300 too_many_connections. Class 08 (connection exception) is matched by prefix.
 */
const POSTGRES_STATES: ReadonlySet<string> = new Set(['57P01', '57P02', '57P03', '53300']);

/** Socket and name-resolution failures Node reports while connecting to, or talking with, the server. */
const SOCKET_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/**
 * SQLite result codes (and their extended forms, `SQLITE_IOERR_WRITE`…) that say the file cannot be used for
 * now: locked by another process past busy_timeout, an I/O error, unopenable, or the disk is full. A
 * constraint or a malformed statement is a different matter and stays a 500 (or a domain error).
 */
const SQLITE_CODES = ['SQLITE_BUSY', 'SQLITE_IOERR', 'SQLITE_CANTOPEN', 'SQLITE_FULL'] as const;

/**
 * node-postgres reports a dropped socket, a connect timeout and an exhausted pool with a message and no
 * code; these are its exact wordings (pg's client.js, pg-pool's index.js).
 */
const POSTGRES_MESSAGES: readonly RegExp[] = [
  /^Connection terminated\b/, // "… unexpectedly", "… due to connection timeout"
  /^timeout exceeded when trying to connect$/,
  /^Client has encountered a connection error and is not queryable$/,
];

function codeOf(error: object): string | undefined {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}

function matches(error: object): boolean {
  const code = codeOf(error);
  if (code !== undefined) {
    if (POSTGRES_STATES.has(code) || /^08[0-9A-Z]{3}$/.test(code) || SOCKET_CODES.has(code)) return true;
    if (SQLITE_CODES.some((prefix) => code === prefix || code.startsWith(`${prefix}_`))) return true;
  }
  const message = (error as { message?: unknown }).message;
  return typeof message === 'string' && POSTGRES_MESSAGES.some((pattern) => pattern.test(message));
}

/**
 * Whether `error` (or what it wraps: `cause`, or an AggregateError's `errors`, as Node gives when every
 * address of a host refused) means that the database is unreachable or unusable for now.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  const seen = new Set<object>();
  const queue: unknown[] = [error];
  while (queue.length > 0 && seen.size < 16) {
    const next = queue.shift();
    if (typeof next !== 'object' || next === null || seen.has(next)) continue;
    seen.add(next);
    if (matches(next)) return true;
    queue.push((next as { cause?: unknown }).cause);
    const inner = (next as { errors?: unknown }).errors;
    if (Array.isArray(inner)) queue.push(...inner);
  }
  return false;
}

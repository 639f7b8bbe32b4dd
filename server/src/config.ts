/**
 * Every setting of README.md, Configuration, in one table: its environment variable, its `--flag` twin on
 * `parley serve`, its default and its parser. `loadConfig` reads them once, at boot, and either returns a
 * typed, frozen `Config` or throws a `ConfigError` naming every variable that is wrong.
 */
import { Buffer } from 'node:buffer';
import { parseDuration as parseDurationField, parseOriginList, parseSeatCountText, type Field } from '#shared/fields.js';

export type DatabaseConfig = { kind: 'sqlite'; path: string } | { kind: 'postgres'; url: string };
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
/** SQLite's `PRAGMA synchronous` in WAL mode: `normal` survives a process crash, `full` also a power loss. */
export type SqliteSynchronous = 'normal' | 'full';

export interface Config {
  port: number;
  host: string;
  /** `PUBLIC_URL` without a trailing slash, or null when it is derived from the listen address. */
  publicUrl: string | null;
  database: DatabaseConfig;
  /** The environment's HS256 secret (key id `env`), or null. */
  externalAuthSecret: Uint8Array | null;
  seatLimit: number;
  /** Allowed embedding origins; null = the origin of the public URL; `['*']` = any. */
  allowedOrigins: readonly string[] | null;
  tokenMaxLifetimeSeconds: number;
  /** Every external token must carry a jti, usable once (per issuer). */
  requireJti: boolean;
  /** Let JWK Set URLs resolve to private, loopback or link-local addresses (off: SSRF protection). */
  jwksAllowPrivate: boolean;
  /** Sign-in attempts per client address, and per signing key, in a window. */
  signInRateLimit: RateLimit;
  signInRateLimitPerKey: RateLimit;
  /** Messages one account may post, and conversations it may create, in a sliding window. */
  messageRateLimit: RateLimit;
  conversationRateLimit: RateLimit;
  /** Event streams one account may hold open; one more closes its oldest. 0 = no limit. */
  streamsPerAccount: number;
  /** Behind a reverse proxy: take the client address from X-Forwarded-For (rate limits, logs). */
  trustProxy: boolean;
  /** PostgreSQL only: the most connections one instance's pool opens (LISTEN takes one more). */
  dbPoolSize: number;
  dbPreparedStatements: boolean;
  /** SQLite only: `normal` loses no commit when the process crashes; `full` none when the machine loses power. */
  sqliteSynchronous: SqliteSynchronous;
  logLevel: LogLevel;
  /** Where email is sent (`smtp://user:pass@host:587`, `smtps://…:465`), or null: no email at all. */
  smtp: SmtpConfig | null;
  /** The From of every email (`Parley <chat@example.com>` or an address), or null: `parley@` the public URL's host. */
  mailFrom: string | null;
  /** A user's unread reply from the team is emailed after this long (seconds). */
  notifyAfterSeconds: number;
  /** A conversation nobody of the team answered is emailed to them after this long (seconds), while nobody is online. */
  agentNotifyAfterSeconds: number;
  /** Let webhook endpoints be private, loopback or link-local addresses (off: SSRF protection). */
  webhooksAllowPrivate: boolean;
  /** Email sign-in requests per address in a window (the per-email limit is the route's own). */
  emailSignInRateLimit: RateLimit;
  /** Redis (`redis://…`, `rediss://…` for TLS), or null: rate limits, typing and presence stay per instance. */
  redis: RedisConfig | null;
  /** The bearer token `GET /metrics` requires, or null: it answers only from loopback on a loopback-bound server. */
  metricsToken: string | null;
  /** Events older than this (seconds) leave the log; a stream resuming from before them is told to resync. */
  eventRetentionSeconds: number;
  /** The largest file one upload may be (bytes). */
  maxUploadBytes: number;
  /** The bytes of files one account may have stored (its uploads, attached or not). */
  uploadQuotaBytes: number;
  /** Where attached files are kept: a folder (one instance, or a shared volume), the database, or S3 (storage/). */
  fileStorage: FileStorageConfig;
  /** Variables that the environment (or a flag) set explicitly: these are locked in the admin panel. */
  fromEnvironment: ReadonlySet<string>;
}

/** Where files are kept: `PARLEY_FILE_STORAGE` (a folder, or `database`), or the bucket of `PARLEY_S3_URL`. */
export type FileStorageConfig = { kind: 'folder'; path: string } | { kind: 'database' } | { kind: 's3'; s3: S3Config };

/** An S3-compatible bucket: its endpoint (null = AWS's own), region, bucket, key prefix and credentials. */
export interface S3Config {
  endpoint: string | null;
  region: string;
  bucket: string;
  prefix: string;
  /** Null: the AWS SDK's default chain (environment, instance role). */
  credentials: { accessKeyId: string; secretAccessKey: string } | null;
}

/** An SMTP server: `secure` for smtps (TLS from the first byte), else STARTTLS when the server offers it. */
export interface SmtpConfig {
  host: string;
  port: number;
  secure: boolean;
  user: string | null;
  password: string | null;
}

/** A Redis server: the URL as given (ioredis reads it), and what it names, for the log (never the password). */
export interface RedisConfig {
  url: string;
  host: string;
  port: number;
  tls: boolean;
  db: number;
}

export interface RateLimit {
  max: number;
  windowSeconds: number;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
  constructor(readonly problems: readonly string[]) {
    super(`Invalid configuration:\n  ${problems.join('\n  ')}`);
  }
}

type Parser<T> = (raw: string) => T;
interface Setting<K extends keyof Config> {
  key: K;
  variable: string;
  flag: string;
  parse: Parser<Config[K]>;
  /** Undefined for a second variable of a key that an earlier row already gave its default. */
  fallback: Config[K] | undefined;
}

const LOG_LEVELS: ReadonlySet<string> = new Set(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);

function parsePort(raw: string): number {
  if (!/^\d{1,5}$/.test(raw) || Number(raw) > 65_535) throw new Error('must be an integer from 0 to 65535');
  return Number(raw);
}

function parseHost(raw: string): string {
  if (!/^[A-Za-z0-9.:_[\]-]{1,253}$/.test(raw)) throw new Error('must be a host name or IP address');
  return raw;
}

function parsePublicUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new Error('must be an absolute http(s) URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('must use http or https');
  if (url.search || url.hash || url.username || url.password) throw new Error('must have no query, fragment or credentials');
  return url.href.replace(/\/+$/, '');
}

/** `sqlite:<path>`, `sqlite::memory:` or `postgres(ql)://…`. */
export function parseDatabaseUrl(raw: string): DatabaseConfig {
  if (raw.startsWith('sqlite:')) {
    const path = raw.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '');
    if (path === '') throw new Error('sqlite: needs a file path, e.g. sqlite:./data/parley.db');
    return { kind: 'sqlite', path };
  }
  if (/^postgres(ql)?:\/\//.test(raw)) {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw new Error('is not a parseable postgres:// URL');
    }
    if (!url.hostname && !url.searchParams.get('host')) throw new Error('postgres URL needs a host');
    return { kind: 'postgres', url: raw };
  }
  throw new Error('must start with sqlite: or postgres://');
}

function parseSecret(raw: string): Uint8Array {
  const bytes = Buffer.from(raw, 'utf8');
  if (bytes.length < 32) throw new Error(`must be at least 32 bytes (got ${bytes.length})`);
  return new Uint8Array(bytes);
}

/** A field rule of shared/src/fields.ts as a configuration parser: its value, or its reason as the error. */
function byRule<T>(rule: (value: unknown) => Field<T>): (raw: string) => T {
  return (raw) => {
    const parsed = rule(raw);
    if (!parsed.ok) throw new Error(parsed.reason);
    return parsed.value;
  };
}

const parseSeatLimit = byRule(parseSeatCountText);

/** `https://a.example,https://b.example` or `*`: the rule of every other door (shared/src/fields.ts). */
function parseOrigins(raw: string): readonly string[] {
  const items = raw.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (items.length === 0) throw new Error('must list at least one origin, or *');
  const parsed = parseOriginList(items);
  if (!parsed.ok) throw new Error(parsed.reason);
  return parsed.value ?? [];
}

/** `3600`, `90s`, `30m`, `12h`, `7d`, `1w` → seconds (at least 1), by the rule of shared/src/fields.ts. */
export const parseDuration = byRule(parseDurationField);

function parseBoolean(raw: string): boolean {
  if (/^(1|true|yes|on)$/i.test(raw)) return true;
  if (/^(0|false|no|off)$/i.test(raw)) return false;
  throw new Error('must be true or false');
}

/** `30/1m` → 30 attempts per minute; `0` turns the limit off. */
export function parseRateLimit(raw: string): RateLimit {
  if (raw.trim() === '0') return { max: 0, windowSeconds: 60 };
  const match = /^(\d{1,7})\/(.+)$/.exec(raw.trim());
  if (!match) throw new Error('must look like 30/1m (attempts per window), or 0 for no limit');
  return { max: Number(match[1]), windowSeconds: parseDuration(match[2] as string) };
}

function parseSqliteSynchronous(raw: string): SqliteSynchronous {
  if (raw !== 'normal' && raw !== 'full') throw new Error('must be normal or full');
  return raw;
}

function parseStreamLimit(raw: string): number {
  if (!/^\d{1,6}$/.test(raw)) throw new Error('must be a non-negative integer (0 = no limit)');
  return Number(raw);
}

/** `smtp://user:pass@host:587` or `smtps://user:pass@host:465` (user and password percent-encoded, optional). */
export function parseSmtpUrl(raw: string): SmtpConfig {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new Error('must be a URL like smtp://user:password@host:587 or smtps://user:password@host:465');
  }
  if (url.protocol !== 'smtp:' && url.protocol !== 'smtps:') throw new Error('must start with smtp:// or smtps://');
  if (url.hostname === '') throw new Error('must name a host');
  if (url.pathname !== '' && url.pathname !== '/') throw new Error('must not have a path');
  if (url.search !== '' || url.hash !== '') throw new Error('must not have a query or a fragment');
  const secure = url.protocol === 'smtps:';
  let user: string | null = null;
  let password: string | null = null;
  try {
    user = url.username === '' ? null : decodeURIComponent(url.username);
    password = url.password === '' ? null : decodeURIComponent(url.password);
  } catch {
    throw new Error('has a user or password that is not valid percent-encoding');
  }
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  return { host, port: url.port === '' ? (secure ? 465 : 587) : Number(url.port), secure, user, password };
}

/** `Team <team@example.com>` or `team@example.com`: one address, no line breaks. */
function parseMailFrom(raw: string): string {
  const value = raw.trim();
  if (/[\r\n]/.test(value)) throw new Error('must be one line');
  const address = /<([^<>]+)>$/.exec(value)?.[1] ?? value;
  if (!/^[^\s@<>]+@[^\s@<>]+\.[^\s@<>]+$/.test(address)) throw new Error('must be an email address, or a name and <address>');
  return value;
}

/** 1 to 1000 connections. */
function parsePoolSize(raw: string): number {
  if (!/^\d{1,4}$/.test(raw) || Number(raw) < 1 || Number(raw) > 1000) throw new Error('must be an integer from 1 to 1000');
  return Number(raw);
}

/** `redis://[user:password@]host[:port][/db]`, or `rediss://…` for TLS. */
export function parseRedisUrl(raw: string): RedisConfig {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new Error('must be a URL like redis://host:6379 or rediss://user:password@host:6380/0');
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') throw new Error('must start with redis:// or rediss://');
  if (url.hostname === '') throw new Error('must name a host');
  if (url.search !== '' || url.hash !== '') throw new Error('must not have a query or a fragment');
  const path = url.pathname.replace(/^\//, '');
  if (path !== '' && !/^\d{1,2}$/.test(path)) throw new Error('may only have a database number as its path (/0 to /99)');
  try {
    decodeURIComponent(url.username);
    decodeURIComponent(url.password);
  } catch {
    throw new Error('has a user or password that is not valid percent-encoding');
  }
  const tls = url.protocol === 'rediss:';
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  return { url: raw, host, port: url.port === '' ? 6379 : Number(url.port), tls, db: path === '' ? 0 : Number(path) };
}

const SIZE_UNITS: ReadonlyMap<string, number> = new Map([['', 1], ['B', 1], ['KB', 1024], ['MB', 1024 ** 2], ['GB', 1024 ** 3]]);

/** A size: bytes, or a number with KB, MB or GB (powers of 1024), from 1 KB to 1 TB. */
export function parseByteSize(raw: string): number {
  const match = /^(\d{1,13})\s*([KMG]?B)?$/i.exec(raw.trim());
  const unit = SIZE_UNITS.get((match?.[2] ?? '').toUpperCase());
  if (!match || unit === undefined) throw new Error('must be a size such as 10MB, 512KB or 1048576 (bytes)');
  const bytes = Number(match[1]) * unit;
  if (bytes < 1024 || bytes > 1024 ** 4) throw new Error('must be from 1KB to 1024GB');
  return bytes;
}

/** `database`, or a folder (relative to the working directory, or absolute). */
function parseFileStorage(raw: string): FileStorageConfig {
  if (raw === 'database') return { kind: 'database' };
  if (raw === 's3') throw new Error('S3 storage is chosen by setting PARLEY_S3_URL');
  if (/[\0\n\r]/.test(raw)) throw new Error('must be a folder path or "database"');
  return { kind: 'folder', path: raw };
}

/**
 * `https://KEY:SECRET@host[:port]/bucket[/prefix]?region=…` for any S3-compatible server (path-style), or
 * `s3://bucket[/prefix]?region=…` for AWS with the SDK's default credentials.
 */
export function parseS3Url(raw: string): FileStorageConfig {
  const shape = 'must be a URL like https://KEY:SECRET@s3.example.com/bucket?region=eu-west-1 or s3://bucket/prefix?region=us-east-1';
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new Error(shape);
  }
  if (url.hash !== '' || [...url.searchParams.keys()].some((k) => k !== 'region')) throw new Error(`${shape} (only ?region= may follow)`);
  const region = url.searchParams.get('region') ?? 'us-east-1';
  if (!/^[a-z0-9-]{1,40}$/.test(region)) throw new Error('has a region that is not like eu-west-1');
  let user: string;
  let password: string;
  try {
    user = decodeURIComponent(url.username);
    password = decodeURIComponent(url.password);
  } catch {
    throw new Error('has a key or secret that is not valid percent-encoding');
  }
  const credentials = user !== '' && password !== '' ? { accessKeyId: user, secretAccessKey: password } : null;
  if ((user === '') !== (password === '')) throw new Error('must give both the access key and the secret, or neither');
  let bucket: string;
  let rest: string[];
  if (url.protocol === 's3:') {
    bucket = url.hostname;
    rest = url.pathname.split('/').filter(Boolean);
    if (credentials) throw new Error('s3:// takes the default AWS credentials; give keys with an https:// endpoint');
  } else if (url.protocol === 'https:' || url.protocol === 'http:') {
    [bucket = '', ...rest] = url.pathname.split('/').filter(Boolean);
  } else throw new Error(shape);
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) throw new Error('must name a bucket (3 to 63 lower-case letters, digits, dots and hyphens)');
  const prefix = rest.map((p) => decodeURIComponent(p)).join('/');
  return { kind: 's3', s3: { endpoint: url.protocol === 's3:' ? null : url.origin, region, bucket, prefix: prefix === '' ? '' : `${prefix}/`, credentials } };
}

/** 16 to 512 visible ASCII characters: it travels in an `Authorization: Bearer` header. */
function parseMetricsToken(raw: string): string {
  if (!/^[\x21-\x7e]{16,512}$/.test(raw)) throw new Error('must be 16 to 512 visible ASCII characters (no spaces)');
  return raw;
}

function parseLogLevel(raw: string): LogLevel {
  if (!LOG_LEVELS.has(raw)) throw new Error(`must be one of ${[...LOG_LEVELS].join(', ')}`);
  return raw as LogLevel;
}

const SETTINGS = [
  { key: 'port', variable: 'PORT', flag: '--port', parse: parsePort, fallback: 3000 },
  { key: 'host', variable: 'HOST', flag: '--host', parse: parseHost, fallback: '127.0.0.1' },
  { key: 'publicUrl', variable: 'PUBLIC_URL', flag: '--public-url', parse: parsePublicUrl, fallback: null },
  { key: 'database', variable: 'DATABASE_URL', flag: '--database-url', parse: parseDatabaseUrl, fallback: { kind: 'sqlite', path: './data/parley.db' } },
  { key: 'externalAuthSecret', variable: 'PARLEY_EXTERNAL_AUTH_SECRET', flag: '--external-auth-secret', parse: parseSecret, fallback: null },
  { key: 'seatLimit', variable: 'PARLEY_SEAT_LIMIT', flag: '--seat-limit', parse: parseSeatLimit, fallback: 5 },
  { key: 'allowedOrigins', variable: 'PARLEY_ALLOWED_ORIGINS', flag: '--allowed-origins', parse: parseOrigins, fallback: null },
  { key: 'tokenMaxLifetimeSeconds', variable: 'PARLEY_TOKEN_MAX_LIFETIME', flag: '--token-max-lifetime', parse: parseDuration, fallback: 7 * 86_400 },
  { key: 'requireJti', variable: 'PARLEY_REQUIRE_JTI', flag: '--require-jti', parse: parseBoolean, fallback: false },
  { key: 'jwksAllowPrivate', variable: 'PARLEY_JWKS_ALLOW_PRIVATE', flag: '--jwks-allow-private', parse: parseBoolean, fallback: false },
  { key: 'signInRateLimit', variable: 'PARLEY_SIGNIN_RATE_LIMIT', flag: '--signin-rate-limit', parse: parseRateLimit, fallback: { max: 300, windowSeconds: 60 } },
  { key: 'signInRateLimitPerKey', variable: 'PARLEY_SIGNIN_RATE_LIMIT_PER_KEY', flag: '--signin-rate-limit-per-key', parse: parseRateLimit, fallback: { max: 6000, windowSeconds: 60 } },
  { key: 'messageRateLimit', variable: 'PARLEY_MESSAGE_RATE_LIMIT', flag: '--message-rate-limit', parse: parseRateLimit, fallback: { max: 30, windowSeconds: 10 } },
  { key: 'conversationRateLimit', variable: 'PARLEY_CONVERSATION_RATE_LIMIT', flag: '--conversation-rate-limit', parse: parseRateLimit, fallback: { max: 10, windowSeconds: 60 } },
  { key: 'streamsPerAccount', variable: 'PARLEY_STREAMS_PER_ACCOUNT', flag: '--streams-per-account', parse: parseStreamLimit, fallback: 10 },
  { key: 'trustProxy', variable: 'PARLEY_TRUST_PROXY', flag: '--trust-proxy', parse: parseBoolean, fallback: false },
  { key: 'dbPoolSize', variable: 'PARLEY_DB_POOL_SIZE', flag: '--db-pool-size', parse: parsePoolSize, fallback: 10 },
  { key: 'dbPreparedStatements', variable: 'PARLEY_DB_PREPARED_STATEMENTS', flag: '--db-prepared-statements', parse: parseBoolean, fallback: true },
  { key: 'sqliteSynchronous', variable: 'PARLEY_SQLITE_SYNCHRONOUS', flag: '--sqlite-synchronous', parse: parseSqliteSynchronous, fallback: 'normal' },
  { key: 'logLevel', variable: 'LOG_LEVEL', flag: '--log-level', parse: parseLogLevel, fallback: 'info' },
  { key: 'smtp', variable: 'PARLEY_SMTP_URL', flag: '--smtp-url', parse: parseSmtpUrl, fallback: null },
  { key: 'mailFrom', variable: 'PARLEY_MAIL_FROM', flag: '--mail-from', parse: parseMailFrom, fallback: null },
  { key: 'notifyAfterSeconds', variable: 'PARLEY_NOTIFY_AFTER', flag: '--notify-after', parse: parseDuration, fallback: 600 },
  { key: 'agentNotifyAfterSeconds', variable: 'PARLEY_AGENT_NOTIFY_AFTER', flag: '--agent-notify-after', parse: parseDuration, fallback: 300 },
  { key: 'eventRetentionSeconds', variable: 'PARLEY_EVENT_RETENTION', flag: '--event-retention', parse: parseDuration, fallback: 7 * 24 * 3600 },
  { key: 'webhooksAllowPrivate', variable: 'PARLEY_WEBHOOKS_ALLOW_PRIVATE', flag: '--webhooks-allow-private', parse: parseBoolean, fallback: false },
  { key: 'emailSignInRateLimit', variable: 'PARLEY_EMAIL_SIGNIN_RATE_LIMIT', flag: '--email-signin-rate-limit', parse: parseRateLimit, fallback: { max: 20, windowSeconds: 3600 } },
  { key: 'redis', variable: 'PARLEY_REDIS_URL', flag: '--redis-url', parse: parseRedisUrl, fallback: null },
  { key: 'metricsToken', variable: 'PARLEY_METRICS_TOKEN', flag: '--metrics-token', parse: parseMetricsToken, fallback: null },
  { key: 'maxUploadBytes', variable: 'PARLEY_MAX_UPLOAD', flag: '--max-upload', parse: parseByteSize, fallback: 10 * 1024 ** 2 },
  { key: 'uploadQuotaBytes', variable: 'PARLEY_UPLOAD_QUOTA', flag: '--upload-quota', parse: parseByteSize, fallback: 500 * 1024 ** 2 },
  { key: 'fileStorage', variable: 'PARLEY_FILE_STORAGE', flag: '--file-storage', parse: parseFileStorage, fallback: { kind: 'folder', path: './data/files' } },
  // Read after PARLEY_FILE_STORAGE: a bucket, when given, is where files go (loadConfig refuses both at once).
  { key: 'fileStorage', variable: 'PARLEY_S3_URL', flag: '--s3-url', parse: parseS3Url, fallback: undefined },
] as const satisfies readonly Setting<keyof Config>[];

/** The flags `parley serve` accepts, for its usage text. */
export const CONFIG_FLAGS: readonly { flag: string; variable: string }[] = SETTINGS.map(({ flag, variable }) => ({ flag, variable }));

/**
 * Reads the configuration from the environment, with `flags` (from `parley serve --port 4000 …`) taking
 * precedence. Throws a ConfigError listing every bad value with its variable's name.
 */
export function loadConfig(env: Readonly<Record<string, string | undefined>>, flags: ReadonlyMap<string, string> = new Map()): Config {
  const problems: string[] = [];
  const values = new Map<string, unknown>();
  const fromEnvironment = new Set<string>();
  for (const setting of SETTINGS) {
    const raw = flags.get(setting.flag) ?? env[setting.variable];
    if (raw === undefined || raw === '') {
      // A second setting of the same key (PARLEY_S3_URL) has no fallback of its own.
      if (setting.fallback !== undefined) values.set(setting.key, setting.fallback);
      continue;
    }
    if (setting.variable === 'PARLEY_S3_URL' && fromEnvironment.has('PARLEY_FILE_STORAGE')) {
      problems.push('PARLEY_S3_URL (--s3-url): files go to the bucket; unset PARLEY_FILE_STORAGE, which names another place');
      continue;
    }
    try {
      values.set(setting.key, (setting.parse as Parser<unknown>)(raw));
      fromEnvironment.add(setting.variable);
    } catch (error) {
      // Never echo the value: it may be a secret.
      problems.push(`${setting.variable} (${setting.flag}): ${(error as Error).message}`);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return Object.freeze({ ...(Object.fromEntries(values) as Omit<Config, 'fromEnvironment'>), fromEnvironment });
}

/** The public URL: `PUBLIC_URL`, or `http://HOST:PORT` from the address the server actually listens on. */
export function derivePublicUrl(config: Pick<Config, 'publicUrl' | 'host'>, port: number): string {
  if (config.publicUrl) return config.publicUrl;
  const host = config.host.includes(':') && !config.host.startsWith('[') ? `[${config.host}]` : config.host;
  const shown = host === '0.0.0.0' || host === '[::]' ? '127.0.0.1' : host;
  return `http://${shown}:${port}`;
}

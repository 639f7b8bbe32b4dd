import { describe, expect, it } from 'vitest';
import { ConfigError, derivePublicUrl, loadConfig, parseDuration } from '../../server/src/config.js';

const problems = (env: Record<string, string>) => {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
};

describe('loadConfig', () => {
  it('has the defaults of README.md, Configuration', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      port: 3000,
      host: '127.0.0.1',
      publicUrl: null,
      database: { kind: 'sqlite', path: './data/parley.db' },
      externalAuthSecret: null,
      seatLimit: 5,
      allowedOrigins: null,
      tokenMaxLifetimeSeconds: 7 * 86_400,
      logLevel: 'info',
    });
    expect(derivePublicUrl(config, 3000)).toBe('http://127.0.0.1:3000');
    expect(config.fromEnvironment.size).toBe(0);
  });

  it('reads every variable, and flags win over the environment', () => {
    const config = loadConfig(
      {
        PORT: '0',
        HOST: '0.0.0.0',
        PUBLIC_URL: 'https://chat.example.com/',
        DATABASE_URL: 'postgres://u@db:5432/parley',
        PARLEY_EXTERNAL_AUTH_SECRET: 'x'.repeat(32),
        PARLEY_SEAT_LIMIT: '100',
        PARLEY_ALLOWED_ORIGINS: 'https://a.example.com, https://b.example.com:8443',
        PARLEY_TOKEN_MAX_LIFETIME: '12h',
        LOG_LEVEL: 'warn',
      },
      new Map([['--seat-limit', '7']]),
    );
    expect(config).toMatchObject({
      port: 0,
      host: '0.0.0.0',
      publicUrl: 'https://chat.example.com',
      database: { kind: 'postgres', url: 'postgres://u@db:5432/parley' },
      seatLimit: 7,
      allowedOrigins: ['https://a.example.com', 'https://b.example.com:8443'],
      tokenMaxLifetimeSeconds: 43_200,
      logLevel: 'warn',
    });
    expect(config.externalAuthSecret).toHaveLength(32);
    expect(config.fromEnvironment.has('PARLEY_SEAT_LIMIT')).toBe(true);
    expect(loadConfig({ PARLEY_ALLOWED_ORIGINS: '*' }).allowedOrigins).toEqual(['*']);
  });

  it.each([
    ['PARLEY_SEAT_LIMIT', '-1'],
    ['PARLEY_SEAT_LIMIT', 'ten'],
    ['PARLEY_EXTERNAL_AUTH_SECRET', '0123456789'],
    ['DATABASE_URL', 'mysql://x'],
    ['DATABASE_URL', 'postgres://'],
    ['PORT', '70000'],
    ['PUBLIC_URL', 'chat.example.com'],
    ['PARLEY_ALLOWED_ORIGINS', 'https://a.example.com/path'],
    ['PARLEY_TOKEN_MAX_LIFETIME', 'forever'],
    ['LOG_LEVEL', 'loud'],
    ['PARLEY_SMTP_URL', 'mail.example.com:587'],
    ['PARLEY_SMTP_URL', 'http://mail.example.com'],
    ['PARLEY_SMTP_URL', 'smtp://'],
    ['PARLEY_SMTP_URL', 'smtp://mail.example.com/inbox'],
    ['PARLEY_SMTP_URL', 'smtp://u:%zz@mail.example.com'],
    ['PARLEY_MAIL_FROM', 'not an address'],
    ['PARLEY_MAIL_FROM', 'a@b.example\nBcc: x@y.example'],
    ['PARLEY_NOTIFY_AFTER', 'soon'],
    ['PARLEY_AGENT_NOTIFY_AFTER', '-5m'],
    ['PARLEY_EVENT_RETENTION', 'a week'],
    ['PARLEY_WEBHOOKS_ALLOW_PRIVATE', 'maybe'],
    ['PARLEY_EMAIL_SIGNIN_RATE_LIMIT', 'lots'],
    ['PARLEY_REDIS_URL', '127.0.0.1:6379'],
    ['PARLEY_REDIS_URL', 'http://cache.example.com'],
    ['PARLEY_REDIS_URL', 'redis://'],
    ['PARLEY_REDIS_URL', 'redis://cache.example.com/parley'],
    ['PARLEY_REDIS_URL', 'redis://cache.example.com?db=1'],
    ['PARLEY_METRICS_TOKEN', 'too-short'],
    ['PARLEY_METRICS_TOKEN', 'a token with spaces in it'],
  ])('%s=%s is refused with a message naming the variable', (variable, value) => {
    const found = problems({ [variable]: value });
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(new RegExp(`^${variable} `));
  });

  it('reads the outbound settings: SMTP, the sender, the notification delays, private webhook addresses', () => {
    expect(loadConfig({})).toMatchObject({ smtp: null, mailFrom: null, notifyAfterSeconds: 600, agentNotifyAfterSeconds: 300, webhooksAllowPrivate: false, emailSignInRateLimit: { max: 20, windowSeconds: 3600 } });
    expect(loadConfig({ PARLEY_SMTP_URL: 'smtp://chat%40example.com:p%40ss%3Aword@mail.example.com:2525', PARLEY_MAIL_FROM: 'Parley <chat@example.com>', PARLEY_NOTIFY_AFTER: '2m', PARLEY_AGENT_NOTIFY_AFTER: '30s', PARLEY_WEBHOOKS_ALLOW_PRIVATE: 'true' })).toMatchObject({
      smtp: { host: 'mail.example.com', port: 2525, secure: false, user: 'chat@example.com', password: 'p@ss:word' },
      mailFrom: 'Parley <chat@example.com>',
      notifyAfterSeconds: 120,
      agentNotifyAfterSeconds: 30,
      webhooksAllowPrivate: true,
    });
    expect(loadConfig({ PARLEY_SMTP_URL: 'smtps://mail.example.com' }).smtp).toEqual({ host: 'mail.example.com', port: 465, secure: true, user: null, password: null });
    expect(loadConfig({ PARLEY_SMTP_URL: 'smtp://[::1]' }).smtp).toEqual({ host: '::1', port: 587, secure: false, user: null, password: null });
    expect(problems({ PARLEY_SMTP_URL: 'smtp://u:hunter2-secret@mail.example.com/x' })[0]).not.toContain('hunter2');
  });

  it('reads PARLEY_EVENT_RETENTION: 7 days by default, any duration', () => {
    expect(loadConfig({}).eventRetentionSeconds).toBe(7 * 24 * 3600);
    expect(loadConfig({ PARLEY_EVENT_RETENTION: '30d' }).eventRetentionSeconds).toBe(30 * 24 * 3600);
    expect(loadConfig({ PARLEY_EVENT_RETENTION: '3600' }).eventRetentionSeconds).toBe(3600);
  });

  it('reads PARLEY_DB_PREPARED_STATEMENTS: on by default, off with false', () => {
    expect(loadConfig({}).dbPreparedStatements).toBe(true);
    expect(loadConfig({ PARLEY_DB_PREPARED_STATEMENTS: 'false' }).dbPreparedStatements).toBe(false);
    expect(loadConfig({}, new Map([['--db-prepared-statements', 'false']])).dbPreparedStatements).toBe(false);
  });

  it('reads PARLEY_DB_POOL_SIZE: 10 by default, 1 to 1000', () => {
    expect(loadConfig({}).dbPoolSize).toBe(10);
    expect(loadConfig({ PARLEY_DB_POOL_SIZE: '25' }).dbPoolSize).toBe(25);
    expect(loadConfig({ PARLEY_DB_POOL_SIZE: '4' }, new Map([['--db-pool-size', '1000']])).dbPoolSize).toBe(1000);
    for (const bad of ['0', '1001', '-1', '2.5', 'ten', '10000']) {
      expect(problems({ PARLEY_DB_POOL_SIZE: bad })).toEqual(['PARLEY_DB_POOL_SIZE (--db-pool-size): must be an integer from 1 to 1000']);
    }
  });

  it('reads PARLEY_REDIS_URL: redis:// or rediss:// (TLS), with a user, a password and a database number', () => {
    expect(loadConfig({}).redis).toBeNull();
    expect(loadConfig({ PARLEY_REDIS_URL: 'redis://127.0.0.1:6379' }).redis).toEqual({ url: 'redis://127.0.0.1:6379', host: '127.0.0.1', port: 6379, tls: false, db: 0 });
    expect(loadConfig({ PARLEY_REDIS_URL: 'rediss://default:s%40cret@cache.example.com:6380/2' }).redis).toEqual({ url: 'rediss://default:s%40cret@cache.example.com:6380/2', host: 'cache.example.com', port: 6380, tls: true, db: 2 });
    expect(loadConfig({ PARLEY_REDIS_URL: 'redis://[::1]' }).redis).toMatchObject({ host: '::1', port: 6379 });
    expect(problems({ PARLEY_REDIS_URL: 'redis://u:hunter2-secret@cache.example.com/x' })[0]).not.toContain('hunter2');
  });

  it('reads PARLEY_METRICS_TOKEN: none by default, 16 to 512 visible ASCII characters, never echoed', () => {
    expect(loadConfig({}).metricsToken).toBeNull();
    expect(loadConfig({ PARLEY_METRICS_TOKEN: 'scrape-0123456789/+=' }).metricsToken).toBe('scrape-0123456789/+=');
    expect(loadConfig({}, new Map([['--metrics-token', 'x'.repeat(512)]])).metricsToken).toBe('x'.repeat(512));
    expect(problems({ PARLEY_METRICS_TOKEN: 'x'.repeat(513) })).toEqual(['PARLEY_METRICS_TOKEN (--metrics-token): must be 16 to 512 visible ASCII characters (no spaces)']);
    expect(problems({ PARLEY_METRICS_TOKEN: 'hunter2 hunter2 hunter2' })[0]).not.toContain('hunter2');
  });

  it('never echoes a secret in its message', () => {
    expect(problems({ PARLEY_EXTERNAL_AUTH_SECRET: 'short-secret' })[0]).not.toContain('short-secret');
  });

  it('reports every bad variable at once', () => {
    expect(problems({ PARLEY_SEAT_LIMIT: '-1', PORT: 'x' }).map((p) => p.split(' ')[0])).toEqual(['PORT', 'PARLEY_SEAT_LIMIT']);
  });

  it('parses durations', () => {
    expect([parseDuration('3600'), parseDuration('90s'), parseDuration('30m'), parseDuration('7d'), parseDuration('1w')]).toEqual([3600, 90, 1800, 604_800, 604_800]);
  });
});

describe('the environment follows the field rules of every other door (shared/src/fields.ts)', () => {
  it('reads origins, seat limits and durations as the admin settings do', () => {
    expect(loadConfig({ PARLEY_ALLOWED_ORIGINS: 'https://a.example, https://b.example/,https://a.example' }).allowedOrigins).toEqual(['https://a.example', 'https://b.example']);
    expect(loadConfig({ PARLEY_ALLOWED_ORIGINS: '*' }).allowedOrigins).toEqual(['*']);
    expect(problems({ PARLEY_ALLOWED_ORIGINS: 'https://A.example' })).toEqual([expect.stringMatching(/^PARLEY_ALLOWED_ORIGINS \(--allowed-origins\): must be origins like https:\/\/app.example.com .*"https:\/\/A.example" is not one$/)]);
    expect(problems({ PARLEY_ALLOWED_ORIGINS: '*,https://a.example' })).toEqual(['PARLEY_ALLOWED_ORIGINS (--allowed-origins): may not combine * with other origins']);
    expect(problems({ PARLEY_SEAT_LIMIT: '1000000000' })).toEqual(['PARLEY_SEAT_LIMIT (--seat-limit): must be a whole number from 0 to 999,999,999']);
    expect(problems({ PARLEY_TOKEN_MAX_LIFETIME: '0s' })).toEqual(['PARLEY_TOKEN_MAX_LIFETIME (--token-max-lifetime): must be at least one second']);
    expect(parseDuration(' 12h ')).toBe(43_200);
  });
});

describe('file settings: PARLEY_MAX_UPLOAD, PARLEY_UPLOAD_QUOTA, PARLEY_FILE_STORAGE, PARLEY_S3_URL', () => {
  it('reads sizes as bytes or KB, MB, GB (powers of 1024), from 1 KB to 1 TB', () => {
    expect(loadConfig({})).toMatchObject({ maxUploadBytes: 10 * 1024 ** 2, uploadQuotaBytes: 500 * 1024 ** 2, fileStorage: { kind: 'folder', path: './data/files' } });
    expect(loadConfig({ PARLEY_MAX_UPLOAD: '10MB', PARLEY_UPLOAD_QUOTA: '1GB' })).toMatchObject({ maxUploadBytes: 10 * 1024 ** 2, uploadQuotaBytes: 1024 ** 3 });
    expect(loadConfig({ PARLEY_MAX_UPLOAD: '512KB', PARLEY_UPLOAD_QUOTA: '1048576' })).toMatchObject({ maxUploadBytes: 512 * 1024, uploadQuotaBytes: 1048576 });
    expect(loadConfig({}, new Map([['--max-upload', '1kb'], ['--upload-quota', '1024GB']]))).toMatchObject({ maxUploadBytes: 1024, uploadQuotaBytes: 1024 ** 4 });
    for (const bad of ['10XB', '1.5MB', 'MB', '-1']) expect(problems({ PARLEY_MAX_UPLOAD: bad })).toEqual(['PARLEY_MAX_UPLOAD (--max-upload): must be a size such as 10MB, 512KB or 1048576 (bytes)']);
    for (const bad of ['0', '500', '1023', '1025GB']) expect(problems({ PARLEY_UPLOAD_QUOTA: bad })).toEqual(['PARLEY_UPLOAD_QUOTA (--upload-quota): must be from 1KB to 1024GB']);
  });

  it('reads PARLEY_FILE_STORAGE: a folder or `database`; S3 only through PARLEY_S3_URL', () => {
    expect(loadConfig({ PARLEY_FILE_STORAGE: 'database' }).fileStorage).toEqual({ kind: 'database' });
    expect(loadConfig({ PARLEY_FILE_STORAGE: '/var/lib/parley/files' }).fileStorage).toEqual({ kind: 'folder', path: '/var/lib/parley/files' });
    expect(loadConfig({ PARLEY_FILE_STORAGE: 'files' }).fileStorage).toEqual({ kind: 'folder', path: 'files' });
    expect(loadConfig({ PARLEY_FILE_STORAGE: 'database' }).fromEnvironment.has('PARLEY_FILE_STORAGE')).toBe(true);
    expect(problems({ PARLEY_FILE_STORAGE: 's3' })).toEqual(['PARLEY_FILE_STORAGE (--file-storage): S3 storage is chosen by setting PARLEY_S3_URL']);
    expect(problems({ PARLEY_FILE_STORAGE: 'a\nb' })).toEqual(['PARLEY_FILE_STORAGE (--file-storage): must be a folder path or "database"']);
  });

  it('reads PARLEY_S3_URL: an endpoint with keys, or s3:// with the default credentials', () => {
    expect(loadConfig({ PARLEY_S3_URL: 'https://AKIA123:s%2Fcret@minio.example.com:9000/parley-files/chat/eu?region=eu-west-1' }).fileStorage).toEqual({
      kind: 's3',
      s3: { endpoint: 'https://minio.example.com:9000', region: 'eu-west-1', bucket: 'parley-files', prefix: 'chat/eu/', credentials: { accessKeyId: 'AKIA123', secretAccessKey: 's/cret' } },
    });
    expect(loadConfig({ PARLEY_S3_URL: 's3://parley.files/uploads' }).fileStorage).toEqual({ kind: 's3', s3: { endpoint: null, region: 'us-east-1', bucket: 'parley.files', prefix: 'uploads/', credentials: null } });
    expect(loadConfig({ PARLEY_S3_URL: 'http://k:s@127.0.0.1:9000/bkt' }).fileStorage).toMatchObject({ s3: { endpoint: 'http://127.0.0.1:9000', bucket: 'bkt', prefix: '' } });
    const shape = 'must be a URL like https://KEY:SECRET@s3.example.com/bucket?region=eu-west-1 or s3://bucket/prefix?region=us-east-1';
    const cases: [string, string][] = [
      ['not a url', shape],
      ['ftp://k:s@host/bucket', shape],
      ['https://k:s@host/bucket?region=eu-west-1&x=1', `${shape} (only ?region= may follow)`],
      ['https://k:s@host/Bucket_Name', 'must name a bucket (3 to 63 lower-case letters, digits, dots and hyphens)'],
      ['https://k:s@host/ab', 'must name a bucket (3 to 63 lower-case letters, digits, dots and hyphens)'],
      ['https://k:s@host/', 'must name a bucket (3 to 63 lower-case letters, digits, dots and hyphens)'],
      ['https://k:s@host/bucket?region=EU_West', 'has a region that is not like eu-west-1'],
      ['https://onlykey@host/bucket', 'must give both the access key and the secret, or neither'],
      ['https://:secret-only@host/bucket', 'must give both the access key and the secret, or neither'],
      ['s3://k:s@bucket', 's3:// takes the default AWS credentials; give keys with an https:// endpoint'],
    ];
    expect(cases.map(([url]) => problems({ PARLEY_S3_URL: url }))).toEqual(cases.map(([, message]) => [`PARLEY_S3_URL (--s3-url): ${message}`]));
  });

  it('never echoes the secret of PARLEY_S3_URL, and refuses it beside PARLEY_FILE_STORAGE', () => {
    for (const url of ['https://KEY:hunter2-secret@host/Bad_Bucket', 'https://KEY:hunter2-secret@host/bucket?region=NOPE', 'https://KEY:hunter2-secret@host/bucket#frag', 's3://KEY:hunter2-secret@bucket']) {
      const found = problems({ PARLEY_S3_URL: url });
      expect([url, found.length, found.join(' ').includes('hunter2')]).toEqual([url, 1, false]);
    }
    expect(problems({ PARLEY_FILE_STORAGE: 'database', PARLEY_S3_URL: 'https://k:hunter2@host/bucket' })).toEqual(['PARLEY_S3_URL (--s3-url): files go to the bucket; unset PARLEY_FILE_STORAGE, which names another place']);
    expect(problems({ PARLEY_FILE_STORAGE: '/srv/files', PARLEY_S3_URL: 's3://bucket' })).toHaveLength(1);
  });
});

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

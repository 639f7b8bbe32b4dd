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
  ])('%s=%s is refused with a message naming the variable', (variable, value) => {
    const found = problems({ [variable]: value });
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(new RegExp(`^${variable} `));
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

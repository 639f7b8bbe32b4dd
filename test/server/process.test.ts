/**
 * The built `parley` process: boot refuses bad configuration with a non-zero exit and a message naming the
 * variable; PORT=0 listens and logs the port; `token` and `keys` work against the same database.
 */
import { spawn, spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../server/src/paths.js';

const CLI = join(PROJECT_ROOT, 'dist/server/cli.js');
const dir = mkdtempSync(join(tmpdir(), 'parley-cli-'));
const env = { ...process.env, DATABASE_URL: `sqlite:${join(dir, 'p.db')}`, LOG_LEVEL: 'info' };
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const run = (args: string[], extra: Record<string, string> = {}) =>
  spawnSync(process.execPath, [CLI, ...args], { env: { ...env, ...extra }, encoding: 'utf8', timeout: 15_000 });

describe('parley serve', () => {
  it.each([
    ['PARLEY_SEAT_LIMIT', '-1'],
    ['PARLEY_EXTERNAL_AUTH_SECRET', '0123456789'],
    ['DATABASE_URL', 'postgres://'],
  ])('stops the boot when %s=%s, naming the variable', (variable, value) => {
    const result = run(['serve', '--port', '0'], { [variable]: value });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(variable);
    expect(result.stdout).not.toContain('listening');
  });

  it('listens on PORT=0, logs the port, answers /healthz and stops on SIGTERM', async () => {
    const child = spawn(process.execPath, [CLI, 'serve'], { env: { ...env, PORT: '0' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no listen line in: ${output}`)), 10_000);
      child.stdout.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        const match = /on port (\d+)/.exec(output);
        if (match) {
          clearTimeout(timer);
          resolve(Number(match[1]));
        }
      });
    });
    expect(port).toBeGreaterThan(0);
    const health = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });
    expect(output).toContain(`public URL http://127.0.0.1:${port}`);
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});

describe('parley keys and token', () => {
  it('creates, lists and retires keys; a new secret is printed once', () => {
    const created = run(['keys', 'create']);
    expect(created.status).toBe(0);
    const kid = /kid:\s+(k_[0-9a-f]{12})/.exec(created.stdout)![1]!;
    expect(created.stdout).toMatch(/secret: [A-Za-z0-9_-]{43}\n/);
    const listed = run(['keys', 'list']);
    expect(listed.stdout).toContain(kid);
    expect(listed.stdout).toContain('active');
    expect(listed.stdout).not.toMatch(/[A-Za-z0-9_-]{43}/);
    expect(run(['keys', 'retire', kid]).stdout).toContain(`retired ${kid}`);
    expect(run(['keys', 'list']).stdout).toMatch(new RegExp(`${kid}\\s+retired`));
    const again = run(['keys', 'retire', kid]);
    expect(again.status).toBe(1);
    expect(again.stderr).toContain(`no active key ${kid}`);
  });

  it('token prints the token, the hosted-page URL and the widget tag', () => {
    const result = run(['token', '--user-id', 'alice', '--email', 'alice@example.com'], { PARLEY_EXTERNAL_AUTH_SECRET: 's'.repeat(40) });
    expect(result.status).toBe(0);
    const token = result.stdout.split('\n')[1]!;
    expect(token).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    const payload = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString());
    expect(payload.user).toEqual({ id: 'alice', email: 'alice@example.com' });
    expect(payload.exp - payload.iat).toBe(3600);
    expect(result.stdout).toContain(`http://127.0.0.1:3000/?externalAuthCode=${token}`);
    expect(result.stdout).toContain(`<script defer data-external-auth-code="${token}" src="http://127.0.0.1:3000/widget.js"></script>`);
  });

  it('keys add registers a public key (PEM or JWK) and refuses a private one; add-jwks wants https', () => {
    const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const pemFile = join(dir, 'pub.pem');
    writeFileSync(pemFile, pair.publicKey.export({ type: 'spki', format: 'pem' }));
    const added = run(['keys', 'add', '--kid', 'acme-2026', '--alg', 'ES256', '--public-key', pemFile]);
    expect(added.stdout).toContain('registered ES256 public key acme-2026');
    expect(run(['keys', 'list']).stdout).toMatch(/acme-2026\s+active\s+ES256/);
    const privateFile = join(dir, 'private.pem');
    writeFileSync(privateFile, pair.privateKey.export({ type: 'pkcs8', format: 'pem' }));
    const refused = run(['keys', 'add', '--kid', 'oops', '--alg', 'ES256', '--public-key', privateFile]);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain('private key');
    expect(run(['keys', 'add', '--kid', 'acme-2026', '--alg', 'ES256', '--public-key', pemFile]).stderr).toContain('exists already');
    expect(run(['keys', 'add-jwks', '--url', 'http://keys.example.com/jwks.json']).stderr).toContain('https');
    expect(run(['keys', 'add-jwks', '--url', 'https://keys.example.com/jwks.json']).stdout).toMatch(/registered JWK Set jwks_[0-9a-f]{12} → https:\/\/keys.example.com\/jwks.json/);
  });

  it('admin create-owner prints a one-time owner link; sign-in-link needs an existing owner or admin', () => {
    const created = run(['admin', 'create-owner', '--email', 'boss@example.com']);
    expect(created.status).toBe(0);
    expect(created.stdout).toMatch(/http:\/\/127\.0\.0\.1:3000\/admin\/setup\?token=[A-Za-z0-9_-]{43}\n/);
    const refused = run(['admin', 'sign-in-link', '--email', 'nobody@example.com']);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain('No active owner or admin has the email nobody@example.com');
    expect(run(['admin', 'create-owner']).stderr).toContain('--email');
  });

  it('token without --user-id is a usage error', () => {
    const result = run(['token']);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('--user-id');
  });
});

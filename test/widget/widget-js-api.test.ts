/**
 * `window.Parley` (widget/src/embed/js-api.ts): the emitter behind `Parley.on`, the replay of the README
 * snippet's queue, and the identity check of `Parley.identify(user, {authToken})`.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createEmitter, createParleyApi, identityMismatch, peekClaims, type Commands, type ParleyApi } from '../../widget/src/embed/js-api.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

function fakeCommands(log: string[]): Commands {
  return {
    identify: (user, authToken) => void log.push(`identify ${user.userId} ${authToken ?? '-'}`),
    open: () => void log.push('open'),
    close: () => void log.push('close'),
    toggle: () => void log.push('toggle'),
    logout: () => void log.push('logout'),
    setDocument: (id) => void log.push(`document ${id ?? 'none'}`),
    setAuthProvider: (provider) => void log.push(`init ${provider ? 'provider' : 'none'}`),
  };
}

type Stub = Record<string, (...args: unknown[]) => unknown> & { q: [string, ArrayLike<unknown>][] };

/** Runs the README's queue snippet against a fresh window-like object and answers its stub. */
function snippetStub(): Stub {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const snippet = /!function\(w\)\{var p=w\.Parley[^\n]*\(window\);/.exec(readme)?.[0];
  if (!snippet) throw new Error('the README has no queue snippet');
  const fakeWindow: { Parley?: Stub } = {};
  new Function('window', snippet)(fakeWindow);
  return fakeWindow.Parley!;
}

const b64u = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
/** An unsigned-looking JWT with these claims (identityMismatch only peeks; the server verifies). */
const jwt = (claims: unknown) => `${b64u({ alg: 'HS256', typ: 'JWT' })}.${b64u(claims)}.c2lnbmF0dXJl`;

afterEach(() => {
  vi.restoreAllMocks();
});

describe('the emitter behind Parley.on', () => {
  it('on returns an unsubscribe function; after it the callback hears nothing', () => {
    const emitter = createEmitter();
    const heard: unknown[] = [];
    const off = emitter.on('unread', (p) => heard.push(p));
    expect(typeof off).toBe('function');
    emitter.emit('unread', { count: 1 });
    off();
    off(); // twice is harmless
    emitter.emit('unread', { count: 2 });
    expect(heard).toEqual([{ count: 1 }]);
  });

  it('a listener that throws does not stop the others, and the error is reported on the console', () => {
    const console_ = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const emitter = createEmitter();
    const heard: string[] = [];
    emitter.on('error', () => heard.push('first'));
    emitter.on('error', () => {
      throw new Error('host bug');
    });
    emitter.on('error', (p) => heard.push(`third ${(p as { code: string }).code}`));
    expect(() => emitter.emit('error', { code: 'token_expired', message: 'm' })).not.toThrow();
    expect(heard).toEqual(['first', 'third token_expired']);
    expect(console_).toHaveBeenCalledTimes(1);
    expect(console_.mock.calls[0]![0]).toBe('Parley: an event listener threw');
    expect((console_.mock.calls[0]![1] as Error).message).toBe('host bug');
  });

  it('refuses an unknown event or a callback that is not a function with a TypeError', () => {
    const emitter = createEmitter();
    expect(() => emitter.on('opened', () => undefined)).toThrow(new TypeError('Parley.on: unknown event "opened"'));
    expect(() => emitter.on('open', 'nope' as unknown as () => void)).toThrow(TypeError);
  });

  it('keeps listeners of different events apart', () => {
    const emitter = createEmitter();
    const heard: string[] = [];
    for (const event of ['ready', 'open', 'close', 'message', 'unread', 'error'] as const) emitter.on(event, () => heard.push(event));
    emitter.emit('close');
    emitter.emit('ready');
    expect(heard).toEqual(['close', 'ready']);
  });
});

describe('createParleyApi', () => {
  it('replays the README snippet’s queue in order, on and _off included', () => {
    const stub = snippetStub();
    const heard: string[] = [];
    stub['init']!({ authProvider: { generateToken: () => 'x' } });
    const offOpen = stub['on']!('open', () => heard.push('open listener')) as () => void;
    stub['on']!('close', () => heard.push('close listener'));
    stub['identify']!({ userId: 'u1' }, { authToken: 'tok' });
    stub['open']!();
    offOpen(); // queued as ["_off", sameArguments]
    stub['toggle']!();
    stub['logout']!();
    expect(stub.q.map(([method]) => method)).toEqual(['init', 'on', 'on', 'identify', 'open', '_off', 'toggle', 'logout']);

    const log: string[] = [];
    const emitter = createEmitter();
    const api = createParleyApi(fakeCommands(log), emitter, stub.q);
    expect(log).toEqual(['init provider', 'identify u1 tok', 'open', 'toggle', 'logout']);
    // The queued `on`s were registered; the one unsubscribed in the queue is gone.
    emitter.emit('open');
    emitter.emit('close');
    expect(heard).toEqual(['close listener']);
    expect(Object.keys(api).sort()).toEqual(['close', 'identify', 'init', 'logout', 'on', 'open', 'setDocument', 'toggle']);
  });

  it('a stub call made after the load (an off() kept from before it) runs at once', () => {
    const stub = snippetStub();
    const heard: string[] = [];
    const off = stub['on']!('open', () => heard.push('open')) as () => void;
    const emitter = createEmitter();
    const log: string[] = [];
    createParleyApi(fakeCommands(log), emitter, stub.q);
    emitter.emit('open');
    off(); // the snippet pushes ["_off", …] onto the same queue, now after the load
    emitter.emit('open');
    expect(heard).toEqual(['open']);
    stub['toggle']!(); // a stub method still held by the page acts at once too
    expect(log).toEqual(['toggle']);
  });

  it('a queued call that throws is reported and the rest of the queue still runs', () => {
    const console_ = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const log: string[] = [];
    const queued: [string, ArrayLike<unknown>][] = [
      ['identify', [{ userId: '' }, { authToken: 't' }]],
      ['on', ['nonsense', () => undefined]],
      ['frobnicate', []],
      ['open', []],
    ];
    createParleyApi(fakeCommands(log), createEmitter(), queued);
    expect(log).toEqual(['open']);
    expect(console_.mock.calls.map((c) => c[0])).toEqual(['Parley: queued call identify failed', 'Parley: queued call on failed']);
  });

  it('forwards each method to its command; identify needs a non-empty userId', () => {
    const log: string[] = [];
    const api: ParleyApi = createParleyApi(fakeCommands(log), createEmitter());
    api.open();
    api.close();
    api.toggle();
    api.identify({ userId: 'u2' }, { authToken: 'tok2' });
    api.identify({ userId: 'u3' });
    api.init({});
    api.logout();
    expect(log).toEqual(['open', 'close', 'toggle', 'identify u2 tok2', 'identify u3 -', 'init none', 'logout']);
    expect(() => api.identify({ userId: '' })).toThrow(TypeError);
    expect(() => api.identify(undefined as unknown as { userId: string })).toThrow(TypeError);
  });

  it('setDocument forwards a trimmed document id, or null (undefined too) to leave the room', () => {
    const log: string[] = [];
    const api = createParleyApi(fakeCommands(log), createEmitter());
    api.setDocument('doc-1');
    api.setDocument('  doc 2/ü  ');
    api.setDocument(null);
    (api.setDocument as (id?: string | null) => void)();
    api.setDocument('x'.repeat(256));
    expect(log).toEqual(['document doc-1', 'document doc 2/ü', 'document none', 'document none', `document ${'x'.repeat(256)}`]);
  });

  it('setDocument refuses an empty, blank, over-long or non-string id with a TypeError and forwards nothing', () => {
    const log: string[] = [];
    const api = createParleyApi(fakeCommands(log), createEmitter());
    for (const bad of ['', '   ', 'x'.repeat(257), 42, {}, ['doc-1'], true]) {
      expect(() => api.setDocument(bad as string), JSON.stringify(bad)).toThrow(TypeError);
    }
    expect(log).toEqual([]);
  });

  it('the README snippet queues setDocument and the API replays it in order', () => {
    const stub = snippetStub();
    expect(typeof stub['setDocument']).toBe('function');
    stub['setDocument']!('doc-9');
    stub['open']!();
    stub['setDocument']!(null);
    const log: string[] = [];
    createParleyApi(fakeCommands(log), createEmitter(), stub.q);
    expect(log).toEqual(['document doc-9', 'open', 'document none']);
  });

  it('on from the API returns an unsubscribe function', () => {
    const emitter = createEmitter();
    const api = createParleyApi(fakeCommands([]), emitter);
    const heard: unknown[] = [];
    const off = api.on('message', (m) => heard.push(m));
    emitter.emit('message', { id: 'm1' });
    off();
    emitter.emit('message', { id: 'm2' });
    expect(heard).toEqual([{ id: 'm1' }]);
  });
});

describe('identityMismatch', () => {
  it('accepts a token whose user.id is the user’s id, with matching email and organization in any case', () => {
    const token = jwt({ user: { id: 'u-1', email: 'Ann@Example.com', organizationId: 'Org-A' }, exp: 1 });
    expect(identityMismatch({ userId: 'u-1' }, token)).toBeNull();
    expect(identityMismatch({ userId: 'u-1', email: 'ann@example.COM', organizationId: 'org-a' }, token)).toBeNull();
  });

  it('accepts the top-level userId or id forms', () => {
    expect(identityMismatch({ userId: 'u-2' }, jwt({ userId: 'u-2' }))).toBeNull();
    expect(identityMismatch({ userId: 'u-3' }, jwt({ id: 'u-3' }))).toBeNull();
  });

  it('refuses another user’s token, or one whose signed email or organization differs', () => {
    const token = jwt({ user: { id: 'u-1', email: 'ann@example.com', organizationId: 'org-a' } });
    expect(identityMismatch({ userId: 'u-9' }, token)).toBe('identity_mismatch');
    expect(identityMismatch({ userId: 'u-1', email: 'bob@example.com' }, token)).toBe('identity_mismatch');
    expect(identityMismatch({ userId: 'u-1', organizationId: 'org-b' }, token)).toBe('identity_mismatch');
    expect(identityMismatch({ userId: 'u-1' }, jwt({ user: { id: 1 } }))).toBe('identity_mismatch');
    expect(identityMismatch({ userId: 'u-1' }, jwt({ email: 'ann@example.com' }))).toBe('identity_mismatch');
  });

  it('ignores a field the token does not sign', () => {
    expect(identityMismatch({ userId: 'u-1', email: 'any@example.com', organizationId: 'any' }, jwt({ user: { id: 'u-1' } }))).toBeNull();
  });

  it('says token_invalid for anything that is not a JWT with an object payload', () => {
    for (const token of ['', 'abc', 'a..c', `x.${b64u('not json')}.y`, `x.${b64u([1, 2])}.y`, `x.${b64u('null')}.y`, 'x.@@@.y']) {
      expect(identityMismatch({ userId: 'u-1' }, token), token).toBe('token_invalid');
    }
  });

  it('reads UTF-8 claims', () => {
    expect(peekClaims(jwt({ user: { id: 'ü-✓', name: 'Zoë' } }))).toEqual({ user: { id: 'ü-✓', name: 'Zoë' } });
    expect(identityMismatch({ userId: 'ü-✓' }, jwt({ user: { id: 'ü-✓' } }))).toBeNull();
  });
});

// @vitest-environment happy-dom
/**
 * The hosted page's live events (widget/src/page/live.ts) over a fake EventSource: events reach the chat, a
 * dropped connection is left to the EventSource's own reconnect, and once the EventSource gives up for good
 * (a reconnect refused, as after the session was revoked) the page asks who it is: 401 means signed out,
 * anything else a new EventSource after a backoff, resuming after the last event seen.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { EVENT } from '#shared/constants.js';
import { ApiError } from '../../widget/src/api/client.js';
import { eventSourceLive } from '../../widget/src/page/live.js';

class FakeEventSource {
  static readonly CONNECTING = 0;
  static readonly OPEN = 1;
  static readonly CLOSED = 2;
  static all: FakeEventSource[] = [];
  readyState = FakeEventSource.CONNECTING;
  readonly listeners = new Map<string, Set<(e: Event) => void>>();
  constructor(readonly url: string) {
    FakeEventSource.all.push(this);
  }
  addEventListener(type: string, listener: (e: Event) => void) {
    if (!this.listeners.has(type)) this.listeners.set(type, new Set());
    this.listeners.get(type)!.add(listener);
  }
  removeEventListener(type: string, listener: (e: Event) => void) {
    this.listeners.get(type)?.delete(listener);
  }
  close() {
    this.readyState = FakeEventSource.CLOSED;
  }
  emit(type: string, data: unknown, lastEventId = '') {
    this.readyState = FakeEventSource.OPEN;
    const event = new MessageEvent(type, { data: JSON.stringify(data), lastEventId });
    this.listeners.get(type)?.forEach((l) => l(event));
  }
  /** An error event: `closed` when the EventSource gives up (a reconnect answered with 401), else it retries itself. */
  fail(closed: boolean) {
    this.readyState = closed ? FakeEventSource.CLOSED : FakeEventSource.CONNECTING;
    this.listeners.get('error')?.forEach((l) => l(new Event('error')));
  }
}

const unauthorized = () => new ApiError(401, 'session_invalid', 'no session');
const meOk = () => ({ user: { id: 'usr_a' }, session: { expiresAt: '2030-01-01T00:00:00.000Z' } }) as never;

let heard: [string, unknown][];
let signedOut: ReturnType<typeof vi.fn<(code: string) => void>>;

beforeEach(() => {
  FakeEventSource.all = [];
  heard = [];
  signedOut = vi.fn<(code: string) => void>();
  vi.stubGlobal('EventSource', FakeEventSource);
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
  document.body.removeAttribute('data-live');
});

function subscribe(me: () => Promise<never>) {
  const api = { me: vi.fn(me) };
  const unsubscribe = eventSourceLive(api, signedOut)((type, data) => heard.push([type, data]));
  return { api, unsubscribe };
}

describe('the hosted page’s live events', () => {
  it('passes events on and leaves a dropped connection to the EventSource’s own reconnect', async () => {
    const { api, unsubscribe } = subscribe(async () => meOk());
    expect(FakeEventSource.all.map((s) => s.url)).toEqual(['/api/v1/events']);
    const [source] = FakeEventSource.all;
    source!.emit('ready', {}, '4');
    expect(document.body.getAttribute('data-live')).toBe('ready');
    source!.emit(EVENT.messageCreated, { message: { id: 'm1' } }, '5');
    expect(heard).toEqual([[EVENT.messageCreated, { message: { id: 'm1' } }]]);

    source!.fail(false);
    expect(document.body.getAttribute('data-live')).toBe('reconnecting');
    await vi.advanceTimersByTimeAsync(60_000);
    expect(api.me).not.toHaveBeenCalled();
    expect(FakeEventSource.all).toHaveLength(1);
    unsubscribe();
    expect(source!.readyState).toBe(FakeEventSource.CLOSED);
  });

  it('shows the signed-out view when the stream is refused for good and the session is gone', async () => {
    const { api } = subscribe(async () => {
      throw unauthorized();
    });
    FakeEventSource.all[0]!.emit('ready', {}, '1');
    FakeEventSource.all[0]!.fail(true);
    await vi.advanceTimersByTimeAsync(0);
    expect(api.me).toHaveBeenCalledTimes(1);
    expect(signedOut).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(FakeEventSource.all).toHaveLength(1);
  });

  it('a deactivated account (403 user_deactivated) is signed out with its code, never retried; renames and reads are passed on', async () => {
    const { api } = subscribe(async () => {
      throw new ApiError(403, 'user_deactivated', 'deactivated');
    });
    const source = FakeEventSource.all[0]!;
    source.emit('ready', {}, '1');
    source.emit(EVENT.conversationUpdated, { conversation: { id: 'c1', title: 'Renamed' } }, '2');
    source.emit(EVENT.conversationRead, { conversationId: 'c1', userId: 'usr_b', messageId: 'm1' }, '3');
    expect(heard.map(([type]) => type)).toEqual([EVENT.conversationUpdated, EVENT.conversationRead]);
    source.fail(true);
    await vi.advanceTimersByTimeAsync(0);
    expect(api.me).toHaveBeenCalledTimes(1);
    expect(signedOut).toHaveBeenCalledWith('user_deactivated');
    await vi.advanceTimersByTimeAsync(60_000);
    expect(FakeEventSource.all).toHaveLength(1);
  });

  it('edits, deletions and typing are passed on; typing, which has no id, leaves the resume point where it was', async () => {
    const { unsubscribe } = subscribe(async () => meOk());
    const source = FakeEventSource.all[0]!;
    source.emit('ready', {}, '1');
    source.emit(EVENT.messageUpdated, { message: { id: 'm1', text: 'Edited' } }, '2');
    source.emit(EVENT.messageDeleted, { message: { id: 'm1', text: '' } }, '3');
    source.emit(EVENT.typing, { conversationId: 'c1', userId: 'usr_b', name: 'Ana', agent: true, ttlMs: 5000 });
    expect(heard.map(([type]) => type)).toEqual([EVENT.messageUpdated, EVENT.messageDeleted, EVENT.typing]);
    source.fail(true);
    await vi.advanceTimersByTimeAsync(30_000);
    expect(FakeEventSource.all[1]!.url).toBe('/api/v1/events?lastEventId=3');
    unsubscribe();
  });

  it('opens a new EventSource, with backoff, resuming after the last event, while the session is still valid', async () => {
    let answer: () => Promise<never> = async () => meOk();
    const { api, unsubscribe } = subscribe(() => answer());
    const first = FakeEventSource.all[0]!;
    first.emit('ready', {}, '7');
    first.emit(EVENT.conversationCreated, { conversation: { id: 'c1' } }, '9');
    first.fail(true);
    await vi.advanceTimersByTimeAsync(0);
    expect(api.me).toHaveBeenCalledTimes(1);
    expect(FakeEventSource.all).toHaveLength(1); // not at once: after a delay
    await vi.advanceTimersByTimeAsync(30_000);
    expect(FakeEventSource.all.map((s) => s.url)).toEqual(['/api/v1/events', '/api/v1/events?lastEventId=9']);
    const second = FakeEventSource.all[1]!;
    second.emit(EVENT.messageCreated, { message: { id: 'm2' } }, '10');
    expect(heard.map(([type]) => type)).toEqual([EVENT.conversationCreated, EVENT.messageCreated]);

    // The server cannot be reached to ask: try again too. Then the session turns out to be gone.
    second.fail(true);
    answer = async () => {
      throw new ApiError(0, 'network_error', 'offline');
    };
    await vi.advanceTimersByTimeAsync(30_000);
    expect(FakeEventSource.all.map((s) => s.url)).toHaveLength(3);
    expect(FakeEventSource.all[2]!.url).toBe('/api/v1/events?lastEventId=10');
    answer = async () => {
      throw unauthorized();
    };
    FakeEventSource.all[2]!.fail(true);
    await vi.advanceTimersByTimeAsync(0);
    expect(signedOut).toHaveBeenCalledTimes(1);
    unsubscribe();
  });

  it('does nothing more once unsubscribed, even with an answer on its way', async () => {
    let resolve!: (value: never) => void;
    const { unsubscribe } = subscribe(() => new Promise<never>((r) => (resolve = r)));
    FakeEventSource.all[0]!.fail(true);
    unsubscribe();
    resolve(meOk());
    await vi.advanceTimersByTimeAsync(60_000);
    expect(FakeEventSource.all).toHaveLength(1);
    expect(signedOut).not.toHaveBeenCalled();
  });
});

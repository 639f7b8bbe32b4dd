/**
 * The widget's live events (widget/src/api/event-stream.ts): SSE parsing, and a fetch-streamed connection
 * that resumes after a drop with Last-Event-ID, shows nothing twice, treats a silent stream as dropped,
 * backs off between failures and stops on 401. Timers are faked; the network is a fake fetch whose streams
 * the test writes into.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { backoffDelay, openEventStream, parseSseFrames, type EventStreamOptions } from '../../widget/src/api/event-stream.js';
import { createFakeFetch, errorResponse, sseStream, type FakeFetch } from '../helpers/widget-fakes.js';

const URL_EVENTS = 'https://parley.test/api/v1/events';

describe('parseSseFrames', () => {
  it('parses id, event and data of complete blocks and keeps the incomplete rest', () => {
    expect(parseSseFrames('id: 7\nevent: message.created\ndata: {"a":1}\n\nid: 8\ndata: par')).toEqual({
      frames: [{ id: '7', event: 'message.created', data: '{"a":1}' }],
      rest: 'id: 8\ndata: par',
    });
    expect(parseSseFrames('id: 8\ndata: par' + 'tial\n\n')).toEqual({ frames: [{ id: '8', event: 'message', data: 'partial' }], rest: '' });
  });

  it('joins data lines with newlines, accepts CRLF and CR line ends, and strips only one leading space', () => {
    expect(parseSseFrames('data: one\r\ndata:two\r\ndata:  three\r\n\r\n').frames).toEqual([{ event: 'message', data: 'one\ntwo\n three' }]);
    // A CR at the very end may be half of a CRLF split across reads: it waits for the next read.
    expect(parseSseFrames('event: x\rdata: y\r\rdata: z').frames).toEqual([{ event: 'x', data: 'y' }]);
    const first = parseSseFrames('data: a\r');
    expect(first.frames).toEqual([]);
    expect(parseSseFrames(first.rest + '\ndata: b\r\n\r\n').frames).toEqual([{ event: 'message', data: 'a\nb' }]);
    expect(parseSseFrames('data\n\n').frames).toEqual([{ event: 'message', data: '' }]);
  });

  it('ignores comments (heartbeats), retry and unknown fields; a block with neither id nor data is no frame', () => {
    expect(parseSseFrames(': heartbeat\n\nretry: 2000\n\nfoo: bar\nevent: lonely\n\n: note\nid: 3\nevent: ready\ndata: {}\n\n')).toEqual({
      frames: [{ id: '3', event: 'ready', data: '{}' }],
      rest: '',
    });
  });
});

describe('backoffDelay', () => {
  it('doubles from 500 ms and is capped at 30 s, with jitter between half and all of the ceiling', () => {
    const ceilings = Array.from({ length: 10 }, (_, n) => backoffDelay(n, () => 1));
    expect(ceilings).toEqual([500, 1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000, 30000]);
    expect(Array.from({ length: 10 }, (_, n) => backoffDelay(n, () => 0))).toEqual(ceilings.map((c) => c / 2));
    expect(backoffDelay(3, () => 0.5)).toBe(3000);
    expect(backoffDelay(50, () => 1)).toBe(30000);
    for (let n = 0; n < 12; n++) {
      const delay = backoffDelay(n);
      expect(delay).toBeGreaterThanOrEqual(ceilings[Math.min(n, 9)]! / 2);
      expect(delay).toBeLessThanOrEqual(ceilings[Math.min(n, 9)]!);
    }
  });
});

describe('openEventStream', () => {
  let fake: FakeFetch;
  let stop: (() => void) | undefined;
  let events: [string, unknown][];
  let states: string[];
  let unauthorized: ReturnType<typeof vi.fn<() => void>>;

  /** Lets the stream's promise chains run (setImmediate is not faked). */
  const flush = async () => {
    for (let i = 0; i < 3; i++) await new Promise<void>((resolve) => setImmediate(resolve));
  };

  function open(overrides: Partial<EventStreamOptions> = {}) {
    stop = openEventStream({
      url: URL_EVENTS,
      token: () => 'tok-1',
      onEvent: (type, data) => events.push([type, data]),
      onState: (state) => states.push(state),
      onUnauthorized: unauthorized,
      fetch: fake.fetch,
      random: () => 0, // the shortest jittered delay: half the ceiling
      idleTimeoutMs: 10_000,
      ...overrides,
    });
  }

  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    fake = createFakeFetch();
    events = [];
    states = [];
    unauthorized = vi.fn<() => void>();
  });
  afterEach(() => {
    stop?.();
    stop = undefined;
    vi.useRealTimers();
  });

  it('sends the bearer token in a header, reports live on ready, and delivers parsed events', async () => {
    open();
    await flush();
    expect(fake.streams).toHaveLength(1);
    const [first] = fake.streams;
    expect(first!.request.url).toBe(URL_EVENTS);
    expect(first!.request.headers).toEqual({ authorization: 'Bearer tok-1', accept: 'text/event-stream' });
    expect(states).toEqual(['connecting']);
    first!.write('retry: 2000\n\n');
    first!.send({ id: 5, event: 'ready' });
    first!.write(': heartbeat\n\n');
    first!.send({ id: 6, event: 'message.created', data: { n: 6 } });
    first!.write('id: 7\nevent: message.created\ndata: not json\n\n');
    await flush();
    expect(states).toEqual(['connecting', 'live']);
    expect(events).toEqual([['message.created', { n: 6 }]]);
  });

  it('reconnects after a dropped stream with Last-Event-ID and delivers nothing twice', async () => {
    open();
    await flush();
    const first = fake.streams[0]!;
    first.send({ id: 5, event: 'ready' });
    first.send({ id: 6, event: 'message.created', data: { n: 6 } });
    first.send({ id: 4, event: 'message.created', data: { n: 4 } }); // older than the last seen: dropped
    await flush();
    expect(events).toEqual([['message.created', { n: 6 }]]);

    first.end(); // the server (or a proxy) closed the connection
    await flush();
    expect(states.at(-1)).toBe('reconnecting');
    await vi.advanceTimersByTimeAsync(249);
    expect(fake.streams).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    await flush();
    expect(fake.streams).toHaveLength(2);
    const second = fake.streams[1]!;
    expect(second.request.headers['last-event-id']).toBe('6');
    expect(second.request.headers['authorization']).toBe('Bearer tok-1');

    // The server replays from 6 exclusive, but a sloppy replay of 6 must not show twice.
    second.send({ id: 6, event: 'message.created', data: { n: 6 } });
    second.send({ id: 7, event: 'message.created', data: { n: 7 } });
    second.send({ id: 7, event: 'ready' });
    second.send({ id: 7, event: 'message.created', data: { n: 7 } });
    second.send({ id: 8, event: 'conversation.created', data: { n: 8 } });
    await flush();
    expect(events).toEqual([
      ['message.created', { n: 6 }],
      ['message.created', { n: 7 }],
      ['conversation.created', { n: 8 }],
    ]);
    expect(states).toEqual(['connecting', 'live', 'reconnecting', 'connecting', 'live']);
  });

  it('treats a stream silent for longer than idleTimeoutMs as dropped; any chunk (a heartbeat) keeps it alive', async () => {
    open({ idleTimeoutMs: 1000 });
    await flush();
    const first = fake.streams[0]!;
    first.send({ id: 3, event: 'ready' });
    await flush();
    await vi.advanceTimersByTimeAsync(900);
    first.write(': heartbeat\n\n');
    await flush();
    await vi.advanceTimersByTimeAsync(900);
    expect(first.request.signal?.aborted).toBe(false);
    expect(fake.streams).toHaveLength(1);

    await vi.advanceTimersByTimeAsync(100); // 1000 ms since the heartbeat
    await flush();
    expect(first.request.signal?.aborted).toBe(true);
    expect(states.at(-1)).toBe('reconnecting');
    await vi.advanceTimersByTimeAsync(250);
    await flush();
    expect(fake.streams).toHaveLength(2);
    expect(fake.streams[1]!.request.headers['last-event-id']).toBe('3');
  });

  it('backs off more after each failed attempt, and starts over once a connection is live again', async () => {
    let failures = 3;
    fake.on('GET /api/v1/events', (request) => {
      if (failures-- > 0) return errorResponse(503, 'unavailable');
      const stream = sseStream(request);
      fake.streams.push(stream);
      return stream.response;
    });
    open();
    await flush();
    const attempts = () => fake.to('GET /api/v1/events').length;
    expect(attempts()).toBe(1);
    // random() = 0: 250, 500, 1000 ms (half of 500, 1000, 2000).
    for (const delay of [250, 500, 1000]) {
      const before = attempts();
      await vi.advanceTimersByTimeAsync(delay - 1);
      expect(attempts()).toBe(before);
      await vi.advanceTimersByTimeAsync(1);
      await flush();
      expect(attempts()).toBe(before + 1);
    }
    expect(fake.streams).toHaveLength(1);
    fake.streams[0]!.send({ id: 1, event: 'ready' });
    await flush();
    fake.streams[0]!.end();
    await flush();
    await vi.advanceTimersByTimeAsync(249);
    expect(attempts()).toBe(4);
    await vi.advanceTimersByTimeAsync(1);
    await flush();
    expect(attempts()).toBe(5);
  });

  it('on 401 calls onUnauthorized once and stops: no reconnect', async () => {
    fake.on('GET /api/v1/events', () => errorResponse(401, 'session_invalid'));
    open();
    await flush();
    expect(unauthorized).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(120_000);
    await flush();
    expect(fake.to('GET /api/v1/events')).toHaveLength(1);
    expect(unauthorized).toHaveBeenCalledTimes(1);
    expect(states).toEqual(['connecting']);
  });

  it('stop() aborts the open request and no reconnect follows', async () => {
    open();
    await flush();
    const first = fake.streams[0]!;
    first.send({ id: 2, event: 'ready' });
    await flush();
    stop!();
    await flush();
    expect(first.request.signal?.aborted).toBe(true);
    await vi.advanceTimersByTimeAsync(120_000);
    await flush();
    expect(fake.to('GET /api/v1/events')).toHaveLength(1);
    expect(states).not.toContain('reconnecting');
  });
});

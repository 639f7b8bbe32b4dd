/**
 * The gate in front of the outbox workers' nudges (outbound/nudge-gate.ts): the first nudge goes through at
 * once, those within the gap after it become one at the gap's end, and a quiet gap lets the next through at
 * once again. Timers are vitest's fake ones: no test waits for real time.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { gateNudges, nudgeForEvent } from '../../../server/src/outbound/nudge-gate.js';

describe('nudge gate', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('passes the first nudge at once and folds the rest of each gap into one at its end', () => {
    let nudges = 0;
    const gate = gateNudges(() => nudges++, 20);
    gate.nudge();
    expect(nudges).toBe(1);
    for (let i = 0; i < 50; i++) gate.nudge();
    vi.advanceTimersByTime(19);
    expect(nudges).toBe(1);
    vi.advanceTimersByTime(1);
    expect(nudges).toBe(2);
    // That one opened a gap of its own: a nudge within it waits for its end too.
    gate.nudge();
    vi.advanceTimersByTime(19);
    expect(nudges).toBe(2);
    vi.advanceTimersByTime(1);
    expect(nudges).toBe(3);
    // A gap with no nudge ends quietly; the next nudge goes through at once.
    vi.advanceTimersByTime(20);
    expect(nudges).toBe(3);
    gate.nudge();
    expect(nudges).toBe(4);
  });

  it('drops a waiting nudge when stopped', () => {
    let nudges = 0;
    const gate = gateNudges(() => nudges++, 20);
    gate.nudge();
    gate.nudge();
    gate.stop();
    vi.advanceTimersByTime(100);
    expect(nudges).toBe(1);
    gate.nudge();
    expect(nudges).toBe(2);
  });
});

describe('the nudges of a committed event', () => {
  const gates = () => {
    const counts = { outbound: 0, assistant: 0 };
    return { counts, gates: { outbound: { nudge: () => counts.outbound++, stop: () => undefined }, assistant: { nudge: () => counts.assistant++, stop: () => undefined } } };
  };
  const settled = () => new Promise((resolve) => setImmediate(resolve));

  it('nudge the outbox at every event, the assistant at a new message only while an assistant exists', async () => {
    const none = gates();
    nudgeForEvent('message.created', none.gates, async () => false);
    nudgeForEvent('conversation.updated', none.gates, async () => true);
    await settled();
    expect(none.counts).toEqual({ outbound: 2, assistant: 0 });
    const some = gates();
    nudgeForEvent('message.created', some.gates, async () => true);
    await settled();
    expect(some.counts).toEqual({ outbound: 1, assistant: 1 });
  });

  it('nudge the assistant when whether one exists cannot be told', async () => {
    const { counts, gates: g } = gates();
    nudgeForEvent('message.created', g, () => Promise.reject(new Error('database away')));
    await settled();
    expect(counts).toEqual({ outbound: 1, assistant: 1 });
  });
});

// @vitest-environment happy-dom
/**
 * Alerts (widget/src/admin/alerts.ts) with a fake Notification and AudioContext: the tone only with sound on,
 * notifications only when granted and not looking at that conversation, never for the team's messages or
 * notes, and a click opens the conversation; then the same through the panel, with the browser's globals
 * replaced. Also the snooze choices (snooze.ts).
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { EVENT } from '#shared/constants.js';
import { createAlerts, type AlertEnvironment, type AudioContextLike, type NotificationApi } from '../../widget/src/admin/alerts.js';
import { parseLocalDateTime, snoozeChoices } from '../../widget/src/admin/snooze.js';
import { addContainer, removeContainer } from '../helpers/dom.js';
import { FakeEventSource, PROFILE, dom, message, ok, serve, stream, until } from './admin-fake.js';

/** Everything the fakes saw. */
let seen: { tones: number; notifications: { title: string; body: string | undefined; tag: string | undefined; instance: { onclick: ((e: Event) => void) | null; closed: boolean } }[] };

function fakes(permission: NotificationPermission) {
  class FakeNotification {
    static permission = permission;
    static requestPermission = vi.fn(async () => permission);
    onclick: ((e: Event) => void) | null = null;
    closed = false;
    constructor(title: string, options: NotificationOptions = {}) {
      seen.notifications.push({ title, body: options.body, tag: options.tag, instance: this });
    }
    close() {
      this.closed = true;
    }
  }
  const node = () => ({ connect: () => undefined, start: () => (seen.tones += 1), stop: () => undefined, type: 'sine', frequency: { setValueAtTime: () => undefined }, gain: { setValueAtTime: () => undefined, exponentialRampToValueAtTime: () => undefined } });
  class FakeAudioContext {
    currentTime = 0;
    destination = {} as AudioNode;
    state = 'running';
    resume = async () => undefined;
    createOscillator = () => node() as unknown as OscillatorNode;
    createGain = () => node() as unknown as GainNode;
  }
  return { Notification: FakeNotification as unknown as NotificationApi, AudioContext: FakeAudioContext as unknown as new () => AudioContextLike, N: FakeNotification };
}

let clock = 0;
beforeEach(() => {
  seen = { tones: 0, notifications: [] };
  clock = 0;
});

describe('alerts', () => {
  const fromAlice = message('msg_1', 'cnv_a', 'Where is my refund?', '2026-03-01T10:05:00.000Z');
  const env = (over: Partial<AlertEnvironment> = {}): AlertEnvironment & { opened: string[] } => {
    const opened: string[] = [];
    const { Notification, AudioContext } = fakes('granted');
    return { Notification, AudioContext, hidden: () => false, openConversation: () => null, open: (id) => opened.push(id), now: () => clock, opened, ...over };
  };

  it('plays the tone only while sound is on, once for a burst', () => {
    const alerts = createAlerts(env());
    alerts.handle(EVENT.messageCreated, { message: fromAlice }, false);
    expect(seen.tones).toBe(0);
    clock = 10_000;
    alerts.handle(EVENT.conversationCreated, { conversation: { id: 'cnv_new', title: null } }, true);
    clock += 50;
    alerts.handle(EVENT.messageCreated, { message: fromAlice }, true);
    expect(seen.tones).toBe(1);
    clock += 1_000;
    alerts.handle(EVENT.messageCreated, { message: fromAlice }, true);
    expect(seen.tones).toBe(2);
  });

  it('never alerts for the team’s messages, notes, or other events', () => {
    const alerts = createAlerts(env());
    alerts.handle(EVENT.messageCreated, { message: { ...fromAlice, author: { ...fromAlice.author, agent: true } } }, true);
    alerts.handle(EVENT.messageCreated, { message: { ...fromAlice, internal: true } }, true);
    alerts.handle(EVENT.messageUpdated, { message: fromAlice }, true);
    alerts.handle(EVENT.conversationUpdated, { conversation: { id: 'cnv_a' } }, true);
    expect(seen).toEqual({ tones: 0, notifications: [] });
  });

  it('notifies when granted and the admin is not looking at that conversation; a click opens it', () => {
    let hidden = false;
    let open: string | null = 'cnv_a';
    const e = env({ hidden: () => hidden, openConversation: () => open });
    const alerts = createAlerts(e);
    alerts.handle(EVENT.messageCreated, { message: fromAlice }, false);
    expect(seen.notifications).toEqual([]);
    hidden = true;
    alerts.handle(EVENT.messageCreated, { message: fromAlice }, false);
    hidden = false;
    open = 'cnv_b';
    alerts.handle(EVENT.conversationCreated, { conversation: { id: 'cnv_new', title: 'Billing' } }, false);
    expect(seen.notifications.map(({ title, body, tag }) => ({ title, body, tag }))).toEqual([
      { title: 'Alice wrote', body: 'Where is my refund?', tag: 'parley-cnv_a' },
      { title: 'New conversation', body: 'Billing', tag: 'parley-cnv_new' },
    ]);
    const first = seen.notifications[0]!.instance;
    first.onclick!(new Event('click', { cancelable: true }));
    expect(e.opened).toEqual(['cnv_a']);
    expect(first.closed).toBe(true);
  });

  it('shows no notification without permission', () => {
    const { Notification } = fakes('default');
    createAlerts(env({ Notification, hidden: () => true })).handle(EVENT.messageCreated, { message: fromAlice }, false);
    expect(seen.notifications).toEqual([]);
  });
});

describe('alerts in the panel', () => {
  let container: HTMLElement;
  beforeEach(() => {
    container = addContainer();
    FakeEventSource.instances = [];
    vi.stubGlobal('EventSource', FakeEventSource);
  });
  afterEach(() => {
    removeContainer(container);
    vi.unstubAllGlobals();
    history.replaceState(null, '', '#');
  });

  it('with sound on, a user’s message chimes and notifies; clicking it opens the conversation; permission is never asked for', async () => {
    const { N, AudioContext } = fakes('granted');
    vi.stubGlobal('Notification', N);
    vi.stubGlobal('AudioContext', AudioContext);
    serve({ 'GET /api/v1/admin/profile': () => ok({ profile: { ...PROFILE, preferences: { ...PROFILE.preferences, sound: true } } }) });
    const d = dom(container);
    await d.mount('#/overview');
    await stream().emit(EVENT.messageCreated, { message: message('msg_1', 'cnv_a', 'Hello?', '2026-03-01T10:05:00.000Z') });
    expect(seen.tones).toBe(1);
    expect(seen.notifications.map((n) => n.title)).toEqual(['Alice wrote']);
    seen.notifications[0]!.instance.onclick!(new Event('click', { cancelable: true }));
    await until(() => expect(d.text(d.q('main h1'))).toBe('Inbox'));
    expect(location.hash).toBe('#/inbox/cnv_a');
    expect(N.requestPermission).not.toHaveBeenCalled();
  });

  it('with sound off (the default), no tone', async () => {
    const { N, AudioContext } = fakes('denied');
    vi.stubGlobal('Notification', N);
    vi.stubGlobal('AudioContext', AudioContext);
    serve();
    await dom(container).mount('#/overview');
    await stream().emit(EVENT.messageCreated, { message: message('msg_1', 'cnv_a', 'Hello?', '2026-03-01T10:05:00.000Z') });
    expect(seen).toEqual({ tones: 0, notifications: [] });
  });
});

describe('snooze choices', () => {
  it('in an hour, tomorrow at 9:00 and next Monday at 9:00, in local time', () => {
    const wednesday = new Date(2026, 11, 2, 15, 20);
    expect(snoozeChoices(wednesday).map((c) => [c.label, c.until.getTime()])).toEqual([
      ['1 hour', new Date(2026, 11, 2, 16, 20).getTime()],
      ['Tomorrow at 9:00', new Date(2026, 11, 3, 9, 0).getTime()],
      ['Next week (Monday at 9:00)', new Date(2026, 11, 7, 9, 0).getTime()],
    ]);
    // From a Monday, next week is the Monday after.
    expect(snoozeChoices(new Date(2026, 11, 7, 8, 0))[2]!.until.getTime()).toBe(new Date(2026, 11, 14, 9, 0).getTime());
    expect(snoozeChoices(new Date(2026, 11, 6, 8, 0))[2]!.until.getTime()).toBe(new Date(2026, 11, 7, 9, 0).getTime());
  });

  it('reads a datetime-local value, and nothing else', () => {
    expect(parseLocalDateTime('2027-01-02T08:30')?.getTime()).toBe(new Date(2027, 0, 2, 8, 30).getTime());
    expect(parseLocalDateTime('2027-02-30T08:30')).toBeNull();
    expect(parseLocalDateTime('tomorrow')).toBeNull();
  });
});

/**
 * Alerts for the team: on a new conversation or a user's message (not the team's, not a note), a short tone
 * when the administrator's profile has sound on, and a browser notification when they allowed them and are
 * not already looking at that conversation (the tab is hidden, or shows another page or conversation).
 * Clicking the notification brings the window forward and opens the conversation.
 *
 * The browser's pieces (Notification, AudioContext, visibility, the route) come in as an environment, so
 * tests drive the logic with fakes. Permission is never asked for here: only the Profile page's button,
 * from the administrator's click, asks.
 */
import type { Conversation, Message } from '#shared/api.js';
import { EVENT } from '#shared/constants.js';

export interface NotificationLike {
  onclick: ((event: Event) => void) | null;
  close(): void;
}
export interface NotificationApi {
  readonly permission: NotificationPermission;
  new (title: string, options?: NotificationOptions): NotificationLike;
}
/** The part of WebAudio the tone needs. */
export interface AudioContextLike {
  readonly currentTime: number;
  readonly destination: AudioNode;
  readonly state: string;
  resume(): Promise<void>;
  createOscillator(): OscillatorNode;
  createGain(): GainNode;
}

export interface AlertEnvironment {
  Notification: NotificationApi | undefined;
  AudioContext: (new () => AudioContextLike) | undefined;
  /** Whether the tab is hidden. */
  hidden(): boolean;
  /** The conversation the panel shows, if any. */
  openConversation(): string | null;
  /** Brings the window forward and opens the conversation. */
  open(conversationId: string): void;
  /** The clock, in milliseconds. */
  now(): number;
}

/** A new conversation and its first message come together: one chime for both. */
export const CHIME_GAP_MS = 1_000;

export interface Alerts {
  /** One live event; `sound` is the profile's preference as it is now. */
  handle(type: string, data: unknown, sound: boolean): void;
}

/** A short two-note chime from an oscillator: no audio file to fetch. */
export function chime(context: AudioContextLike): void {
  const start = context.currentTime;
  const oscillator = context.createOscillator();
  const gain = context.createGain();
  oscillator.type = 'sine';
  oscillator.frequency.setValueAtTime(880, start);
  oscillator.frequency.setValueAtTime(1320, start + 0.09);
  gain.gain.setValueAtTime(0.0001, start);
  gain.gain.exponentialRampToValueAtTime(0.2, start + 0.02);
  gain.gain.exponentialRampToValueAtTime(0.0001, start + 0.25);
  oscillator.connect(gain);
  gain.connect(context.destination);
  oscillator.start(start);
  oscillator.stop(start + 0.26);
}

/** What an event is worth telling, if anything: the conversation, a title and a line. */
function newsOf(type: string, data: unknown): { conversationId: string; title: string; body: string } | null {
  if (type === EVENT.conversationCreated) {
    const { conversation } = data as { conversation: Conversation };
    return { conversationId: conversation.id, title: 'New conversation', body: conversation.title ?? '' };
  }
  if (type === EVENT.messageCreated) {
    const { message } = data as { message: Message };
    const { author } = message;
    if (message.internal || author.agent || author.type !== 'user' || message.deletedAt) return null;
    return { conversationId: message.conversationId, title: `${author.name ?? 'A user'} wrote`, body: message.text.slice(0, 140) };
  }
  return null;
}

export function createAlerts(env: AlertEnvironment): Alerts {
  let context: AudioContextLike | null = null;
  let chimedAt = -Infinity;
  const play = () => {
    if (!env.AudioContext || env.now() - chimedAt < CHIME_GAP_MS) return;
    chimedAt = env.now();
    try {
      context ??= new env.AudioContext();
      // A context made before any gesture starts suspended; resuming may be refused until one.
      if (context.state === 'suspended') void context.resume().catch(() => {});
      chime(context);
    } catch {
      // No audio output, or the browser refused: the alert is silent.
    }
  };
  const notify = (news: NonNullable<ReturnType<typeof newsOf>>) => {
    const N = env.Notification;
    if (!N || N.permission !== 'granted') return;
    if (!env.hidden() && env.openConversation() === news.conversationId) return;
    try {
      // One notification per conversation: a newer one replaces it (same tag).
      const notification = new N(news.title, { body: news.body, tag: `parley-${news.conversationId}` });
      notification.onclick = (event) => {
        event.preventDefault();
        env.open(news.conversationId);
        notification.close();
      };
    } catch {
      // Some browsers only notify from a service worker; nothing to do then.
    }
  };
  return {
    handle(type, data, sound) {
      const news = newsOf(type, data);
      if (!news) return;
      if (sound) play();
      notify(news);
    },
  };
}

/** The browser's AudioContext constructor, if it has one. */
function audioContextClass(): (new () => AudioContextLike) | undefined {
  const g = globalThis as unknown as { AudioContext?: new () => AudioContextLike; webkitAudioContext?: new () => AudioContextLike };
  return g.AudioContext ?? g.webkitAudioContext;
}

/**
 * The chime once, as a preview when sound is switched on: played from that click, it also lets the browser
 * know the page may play sound (audio made before any click on the page starts suspended).
 */
export function previewChime(): void {
  const Ctor = audioContextClass();
  if (!Ctor) return;
  try {
    chime(new Ctor());
  } catch {
    // No audio output: nothing to preview.
  }
}

/** The page's own environment, with every browser API guarded. */
export function browserEnvironment(openConversation: () => string | null, open: (conversationId: string) => void): AlertEnvironment {
  return {
    Notification: (globalThis as { Notification?: NotificationApi }).Notification,
    AudioContext: audioContextClass(),
    hidden: () => document.visibilityState === 'hidden',
    now: () => Date.now(),
    openConversation,
    open: (conversationId) => {
      try {
        window.focus();
      } catch {
        // Focusing may be refused; opening the conversation still helps.
      }
      open(conversationId);
    },
  };
}

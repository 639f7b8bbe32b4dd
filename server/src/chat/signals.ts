/**
 * Signals: what streams hear live and nobody stores (today `typing`). Unlike events they have no id, are not
 * in the log, and are never replayed: a signal that finds no open stream is gone.
 *
 * One interface, three transports:
 * - in process (SQLite: one process serves the file): published signals reach this process's streams at once;
 * - PostgreSQL (several instances): `pg_notify` on a channel of its own (not the events channel, so a signal
 *   never wakes the event fan-out), heard by every instance's LISTEN, this one's included, which hands it to
 *   its local streams. A payload must stay under PostgreSQL's 8000 bytes: a signal whose participant list
 *   would not fit goes without it, and the receiving instance reads the list itself;
 * - Redis (`PARLEY_REDIS_URL`): published on a Redis channel, never through the database; while Redis is
 *   away, through one of the two above (redis/signals.ts).
 */
import { sql } from 'kysely';
import type { AssistantReplyEvent, MessageDeltaEvent, TypingEvent } from '#shared/api.js';
import { LISTEN_RESUMED, type Store } from '../store/database.js';
import type { ConversationRepository } from '../store/conversations.js';
import type { Audience } from './access.js';
import type { RedisLink } from '../redis/link.js';
import { createRedisSignals } from '../redis/signals.js';

/** Someone is typing: heard by the conversation's audience, except the typer. */
export interface TypingSignal {
  type: 'typing';
  audience: Audience;
  /** The account that typed: its own streams do not hear it. */
  senderId: string;
  data: TypingEvent;
}

/** The assistant's reply as it streams (docs/assistant.md): heard by the conversation's audience. */
export type AssistantSignal =
  | { type: 'assistant.replying' | 'assistant.ended'; audience: Audience; senderId: string; data: AssistantReplyEvent }
  | { type: 'message.delta'; audience: Audience; senderId: string; data: MessageDeltaEvent };

export type Signal = TypingSignal | AssistantSignal;
type WireSignal<S extends Signal = Signal> = S extends Signal ? Omit<S, 'audience'> & { audience: Omit<Audience, 'participantIds'> & { participantIds: string[] | null } } : never;
export type SignalListener = (signal: Signal) => void;

export interface Signals {
  /** Sends `signal` to every instance's streams; resolves once it is on its way. */
  publishSignal(signal: Signal): Promise<void>;
  /** Calls `listener` for every signal this instance hears; answers the unsubscribe function. */
  subscribeSignals(listener: SignalListener): () => void;
  /** Starts hearing other instances (PostgreSQL); answers the stop function. */
  start(): Promise<() => Promise<void>>;
}

/** The NOTIFY channel of signals. */
export const SIGNALS_CHANNEL = 'parley_signals';
/** PostgreSQL refuses a NOTIFY payload of 8000 bytes or more; this leaves room for the channel's framing. */
const MAX_PAYLOAD_BYTES = 7900;

export function createListeners() {
  const listeners = new Set<SignalListener>();
  return {
    add(listener: SignalListener): () => void {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    deliver(signal: Signal): void {
      for (const listener of listeners) {
        try {
          listener(signal);
        } catch {
          listeners.delete(listener);
        }
      }
    },
  };
}

/** Signals within one process: a publish reaches the subscribers synchronously. */
export function createLocalSignals(): Signals {
  const listeners = createListeners();
  return {
    async publishSignal(signal) {
      listeners.deliver(signal);
    },
    subscribeSignals: listeners.add,
    start: async () => async () => undefined,
  };
}

const isString = (v: unknown): v is string => typeof v === 'string';
const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The data of an assistant's signal, narrowed. */
function readAssistantData(type: unknown, d: Record<string, unknown>): AssistantSignal['data'] | undefined {
  if (!isString(d['conversationId']) || !isString(d['replyId'])) return undefined;
  if (type !== 'message.delta') return { conversationId: d['conversationId'], replyId: d['replyId'] };
  if (typeof d['offset'] !== 'number' || !isString(d['delta'])) return undefined;
  return { conversationId: d['conversationId'], replyId: d['replyId'], offset: d['offset'], delta: d['delta'] };
}

const ASSISTANT_SIGNALS: ReadonlySet<unknown> = new Set(['assistant.replying', 'assistant.ended', 'message.delta']);

/** A signal as it came over the wire, if it is one; `participantIds` null when it was left out for size. */
export function readSignal(payload: string): WireSignal | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(payload);
  } catch {
    return undefined;
  }
  if (!isRecord(parsed) || (parsed['type'] !== 'typing' && !ASSISTANT_SIGNALS.has(parsed['type'])) || !isString(parsed['senderId']) || !isRecord(parsed['audience']) || !isRecord(parsed['data'])) return undefined;
  const a = parsed['audience'];
  const d = parsed['data'];
  const participantIds = a['participantIds'];
  if (!(a['organizationId'] === null || isString(a['organizationId'])) || !(a['documentId'] === null || isString(a['documentId'])) || typeof a['internal'] !== 'boolean') return undefined;
  if (!(participantIds === null || (Array.isArray(participantIds) && participantIds.every(isString)))) return undefined;
  const audience = { organizationId: a['organizationId'], documentId: a['documentId'], internal: a['internal'], participantIds };
  if (parsed['type'] !== 'typing') {
    const data = readAssistantData(parsed['type'], d);
    if (!data) return undefined;
    return { type: parsed['type'], senderId: parsed['senderId'], audience, data } as WireSignal<AssistantSignal>;
  }
  if (!isString(d['conversationId']) || !isString(d['userId']) || !(d['name'] === null || isString(d['name'])) || typeof d['agent'] !== 'boolean' || typeof d['ttlMs'] !== 'number') return undefined;
  return {
    type: 'typing',
    senderId: parsed['senderId'],
    audience: { organizationId: a['organizationId'], documentId: a['documentId'], internal: a['internal'], participantIds },
    data: { conversationId: d['conversationId'], userId: d['userId'], name: d['name'], agent: d['agent'], ttlMs: d['ttlMs'] },
  };
}

/** Signals across the instances of one PostgreSQL database (NOTIFY / LISTEN). */
export function createPostgresSignals(deps: { store: Store; conversations: Pick<ConversationRepository, 'participantIds'> }): Signals {
  const { store, conversations } = deps;
  if (!store.listen) throw new TypeError('PostgreSQL signals need a store that can LISTEN');
  const listen = store.listen;
  const listeners = createListeners();

  async function heard(payload: string): Promise<void> {
    const signal = readSignal(payload);
    if (!signal) return;
    const participantIds = signal.audience.participantIds ?? (await conversations.participantIds(signal.data.conversationId));
    listeners.deliver({ ...signal, audience: { ...signal.audience, participantIds } });
  }

  return {
    async publishSignal(signal) {
      let payload = JSON.stringify(signal);
      if (Buffer.byteLength(payload) > MAX_PAYLOAD_BYTES) payload = JSON.stringify({ ...signal, audience: { ...signal.audience, participantIds: null } });
      if (Buffer.byteLength(payload) > MAX_PAYLOAD_BYTES) throw new TypeError('a signal is too large for NOTIFY');
      await sql`select pg_notify(${SIGNALS_CHANNEL}, ${payload})`.execute(store.db);
    },
    subscribeSignals: listeners.add,
    async start() {
      // Signals missed while the connection was down are gone, as they would be for a closed stream.
      return listen(SIGNALS_CHANNEL, (payload) => {
        if (payload === LISTEN_RESUMED) return;
        heard(payload).catch(() => undefined);
      });
    },
  };
}

/** The signals of a store: PostgreSQL's across instances, else in process; through Redis when it is configured. */
export function createSignals(deps: { store: Store; conversations: Pick<ConversationRepository, 'participantIds'>; redis?: RedisLink | null }): Signals {
  const fallback = deps.store.dialect === 'postgres' ? createPostgresSignals(deps) : createLocalSignals();
  return deps.redis ? createRedisSignals({ link: deps.redis, fallback, conversations: deps.conversations }) : fallback;
}

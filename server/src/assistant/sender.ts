/**
 * Sends `assistant_reply` rows (docs/assistant.md, How a reply runs): one reply of the assistant to a user's
 * message, streamed from the provider (assistant/provider.ts) to the conversation's streams as
 * `assistant.replying`, then `message.delta` pieces (coalesced: at most one every DELTA_EVERY_MS), then the
 * stored message's `message.created` and `assistant.ended`.
 *
 * A reply row moves pending → streaming → done | stopped | failed (or pending → skipped), each move a
 * conditional update, so a reply ends exactly once. Before it streams, a reply is skipped when the
 * conversation was handed to the team, a later message of the same conversation waits (it will answer both),
 * or, for `when_offline`, someone of the team is online. The move to streaming is itself conditional on no
 * stop asked and no take-over, so one that lands between those checks and the start still wins, and it
 * reserves the reply's message under the daily limits in the same transaction; a reply that finds no room
 * ends in a hand-off with the limit's notice. A failure (no first token within `firstTokenMs`, no end within
 * `totalMs`, an HTTP error, a malformed or cut stream) stores what was streamed, says so in a system
 * message, and hands the conversation to the team. A call is tried again at most once, and only before any
 * token came (a 429, a 5xx, a failed connection): output is never asked for twice. A process that stopped
 * mid-reply leaves the row `streaming` with its text saved about once a second; when the outbox's lease lets
 * another worker take the row, that worker ends the reply as a failure with the saved text, never streams it
 * again.
 */
import type { Signals } from '../chat/signals.js';
import type { EventBus } from '../chat/event-bus.js';
import type { Audience } from '../chat/access.js';
import { MESSAGE_MAX_CHARS } from '#shared/constants.js';
import type { Resolve } from '../outbound/http.js';
import type { OutboxSender, SendOutcome } from '../outbound/worker.js';
import type { Store } from '../store/database.js';
import { createAssistantRepository, utcDay, type AssistantRow, type AssistantReplyRow, type UsageKey } from '../store/assistants.js';
import type { ConversationRepository, ConversationRow } from '../store/conversations.js';
import { createOutboxRepository, type OutboxRow } from '../store/outbox.js';
import type { PresenceRepository } from '../store/presence.js';
import type { EventRow } from '../store/events.js';
import type { Metrics } from '../metrics.js';
import { createUserRepository, type UserRow } from '../store/users.js';
import { ASSISTANT_REPLY_KIND, replyOrderingKey } from './chat-hook.js';
import { buildContext, estimateTokens, readHistory } from './context.js';
import { lookupIn } from './directory.js';
import { completionOf, ProviderError, streamCompletion, type ChatMessage } from './provider.js';
import type { ReplyRegistry } from './registry.js';
import { localeOf, noticeText, type AssistantNotice } from './texts.js';
import type { AssistantWrites } from './writes.js';

export interface AssistantTimeouts {
  /** No first token within this long after the reply starts: a failure. */
  firstTokenMs: number;
  /** No end within this long: a failure (kept under the outbox's send deadline and lease). */
  totalMs: number;
  /** How often a streaming reply looks for a stop asked on another instance. */
  stopPollMs: number;
  /** The pause before the one retry of a call that failed before its first token. */
  retryPauseMs: number;
}

export const DEFAULT_TIMEOUTS: AssistantTimeouts = { firstTokenMs: 15_000, totalMs: 40_000, stopPollMs: 200, retryPauseMs: 500 };
/** Deltas are coalesced to at most one every this many ms (the first goes at once). */
export const DELTA_EVERY_MS = 50;
/** What streamed is saved for a crash's recovery at most this often. */
const SAVE_EVERY_MS = 1000;
/** A delta signal carries at most this many characters (PostgreSQL's NOTIFY payload is under 8000 bytes). */
const DELTA_CHARS = 1500;

export interface AssistantSenderDeps {
  store: Store;
  bus: EventBus;
  signals: Signals;
  conversations: ConversationRepository;
  presence: Pick<PresenceRepository, 'online'>;
  writes: AssistantWrites;
  registry: ReplyRegistry;
  now: () => number;
  timeouts: AssistantTimeouts;
  resolve?: Resolve;
  /** Told of each provider failure (the log; never the key, which no message carries). */
  onFailure?: (replyId: string, error: ProviderError) => void;
  /** Told how each reply ended, and how long its first token took (the metrics). */
  metrics?: Pick<Metrics, 'assistantReplyEnded' | 'assistantFirstToken'>;
}

type Ending = { state: 'done' | 'stopped' | 'failed' | 'skipped'; text: string; tokens: number; notice: AssistantNotice | null };

function readPayload(row: OutboxRow): string | null {
  try {
    const value = JSON.parse(row.payload) as { replyId?: unknown };
    return typeof value.replyId === 'string' ? value.replyId : null;
  } catch {
    return null;
  }
}

/** A reply counts on the UTC day of the message it answers (when it was asked for), from its start to its end. */
const usageKeyOf = (reply: AssistantReplyRow, user: UserRow): UsageKey => ({ assistantId: reply.assistant_id, day: utcDay(Number(reply.created_at)), userId: user.id, organizationId: user.organization_id });

export function createAssistantSender(deps: AssistantSenderDeps): OutboxSender {
  const { store, signals, writes, now } = deps;
  const assistants = createAssistantRepository(store);
  const users = createUserRepository(store);
  const outbox = createOutboxRepository(store);

  const audienceOf = async (c: ConversationRow): Promise<Audience> => ({
    organizationId: c.organization_id,
    documentId: c.document_id,
    participantIds: c.document_id === null ? await deps.conversations.participantIds(c.id) : [],
    internal: false,
  });

  /**
   * Ends the reply once (its row moved from `from`): stores the text (if any) and the notice (if any), hands
   * the conversation to the team after a notice, counts usage, then announces it all.
   */
  async function end(reply: AssistantReplyRow, conversation: ConversationRow, assistant: Pick<AssistantRow, 'id' | 'name'> | undefined, user: UserRow | undefined, ending: Ending, from: readonly ('pending' | 'streaming')[]): Promise<void> {
    const at = now();
    const published = await store.db.transaction().execute(async (trx) => {
      const repo = createAssistantRepository({ ...store, db: trx, root: store.root ?? store });
      if (!(await repo.moveReply(trx, reply.id, from, ending.state, at))) return null;
      const events: EventRow[] = [];
      const text = ending.text.trim() === '' ? '' : ending.text;
      if (text !== '' && assistant) events.push(...(await writes.assistantMessage(trx, conversation, { assistantId: assistant.id, assistantName: assistant.name, replyId: reply.id, text }, at)));
      if (ending.notice) {
        events.push(...(await writes.systemMessage(trx, conversation, noticeText(ending.notice, localeOf(user)), at)));
        const assistantOf = lookupIn(await repo.listWith(trx));
        events.push(...(await writes.handOff(trx, conversation.id, { toTeam: true, userId: reply.user_id, assistantOf }, at)).events);
      }
      // A reply that started reserved its message (startReply): its tokens are added to it, or, with nothing
      // stored, the message is given back. Counted while the assistant exists (its usage goes with it).
      if (from.includes('streaming') && user && (await trx.selectFrom('assistants').select('id').where('id', '=', reply.assistant_id).executeTakeFirst())) {
        const key = usageKeyOf(reply, user);
        if (text !== '') await repo.addTokens(trx, { ...key, tokens: ending.tokens });
        else await repo.releaseMessage(trx, key);
      }
      return events;
    });
    if (published === null) return;
    deps.metrics?.assistantReplyEnded(ending.notice === 'limit_reached' ? 'limited' : ending.state);
    await writes.publishAll(deps.bus, conversation.id, published);
    // A reply that never started (skipped) was never announced: nothing to end on the streams.
    if (ending.state === 'skipped' && published.length === 0) return;
    await signals.publishSignal({ type: 'assistant.ended', senderId: reply.assistant_id, audience: await audienceOf(conversation), data: { conversationId: conversation.id, replyId: reply.id } });
  }

  /** Streams the reply; answers how it ended (never throws for the provider's failures). */
  async function stream(reply: AssistantReplyRow, conversation: ConversationRow, assistant: AssistantRow, user: UserRow, audience: Audience): Promise<Ending> {
    const history = await readHistory(store, conversation.id);
    // A document room's reply is read by everyone in the room: no member's token claims go into it.
    const messages: ChatMessage[] = buildContext({ ...assistant, shareTokenMetadata: assistant.shareTokenMetadata && conversation.document_id === null }, user, history);
    // What this reply answers: up to the newest message its context read (one posted meanwhile is the next reply's).
    const newest = Math.max(0, ...history.filter((h) => Number.isInteger(h.position)).map((h) => h.position));
    await store.db.updateTable('assistant_replies').set({ context_seq: newest }).where('id', '=', reply.id).execute();
    const promptTokens = messages.reduce((n, m) => n + estimateTokens(m.content), 0);
    const controller = new AbortController();
    let why: 'stopped' | 'shutdown' | 'first_token' | 'total' | 'full' | null = null;
    const stopWith = (reason: NonNullable<typeof why>) => {
      if (why === null) why = reason;
      controller.abort();
    };
    const unregister = deps.registry.add(conversation.id, (reason) => stopWith(reason === 'shutdown' ? 'shutdown' : 'stopped'));
    const firstTokenTimer = setTimeout(() => stopWith('first_token'), deps.timeouts.firstTokenMs);
    const totalTimer = setTimeout(() => stopWith('total'), deps.timeouts.totalMs);
    const stopPoll = setInterval(() => {
      assistants.stopRequested(reply.id).then(
        (stop) => stop && stopWith('stopped'),
        () => undefined,
      );
    }, deps.timeouts.stopPollMs);

    let text = '';
    let sent = 0;
    let lastFlush = 0;
    let flushTimer: NodeJS.Timeout | null = null;
    let chain: Promise<void> = Promise.resolve();
    let lastSave = performance.now();
    const flush = () => {
      flushTimer = null;
      lastFlush = performance.now();
      while (sent < text.length) {
        let cut = Math.min(text.length, sent + DELTA_CHARS);
        // Never between the two halves of a surrogate pair.
        if (cut < text.length && /[\uDC00-\uDFFF]/.test(text[cut]!)) cut--;
        const data = { conversationId: conversation.id, replyId: reply.id, offset: sent, delta: text.slice(sent, cut) };
        sent = cut;
        chain = chain.then(() => signals.publishSignal({ type: 'message.delta', senderId: assistant.id, audience, data })).catch(() => undefined);
      }
      if (performance.now() - lastSave >= SAVE_EVERY_MS) {
        lastSave = performance.now();
        const saved = text;
        chain = chain.then(() => assistants.savePartial(reply.id, saved, now())).catch(() => undefined);
      }
    };
    const onDelta = (delta: string) => {
      const room = MESSAGE_MAX_CHARS - text.length;
      text += delta.slice(0, room);
      if (delta.length >= room) stopWith('full');
      if (text.length === delta.length || performance.now() - lastFlush >= DELTA_EVERY_MS) {
        if (flushTimer) clearTimeout(flushTimer);
        flush();
      } else flushTimer ??= setTimeout(flush, DELTA_EVERY_MS - (performance.now() - lastFlush));
    };

    let usage: number | null = null;
    let failure: ProviderError | null = null;
    const startedAt = performance.now();
    try {
      for (let attempt = 1; ; attempt++) {
        try {
          for await (const piece of streamCompletion(completionOf(assistant, messages, { totalTimeoutMs: deps.timeouts.totalMs, signal: controller.signal, resolve: deps.resolve }))) {
            if (piece.delta !== undefined) {
              if (text === '') {
                clearTimeout(firstTokenTimer);
                deps.metrics?.assistantFirstToken((performance.now() - startedAt) / 1000);
              }
              onDelta(piece.delta);
            }
            if (piece.usage) usage = piece.usage.totalTokens;
            if (why !== null) break;
          }
          break;
        } catch (error) {
          if (!(error instanceof ProviderError)) throw error;
          if (why !== null) break;
          if (attempt === 1 && error.retryable && text === '') {
            await new Promise<void>((resolve) => {
              const t = setTimeout(resolve, deps.timeouts.retryPauseMs);
              controller.signal.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
            });
            if (why === null) continue;
            break;
          }
          failure = error;
          break;
        }
      }
    } finally {
      clearTimeout(firstTokenTimer);
      clearTimeout(totalTimer);
      clearInterval(stopPoll);
      unregister();
      if (flushTimer) clearTimeout(flushTimer);
    }
    flush();
    await chain;
    const reason = why as typeof why;
    if (reason === 'shutdown') failure = new ProviderError('cut', 'the server shut down mid-reply');
    else if (reason === 'first_token' || reason === 'total') failure = new ProviderError('timeout', reason === 'first_token' ? `no first token within ${deps.timeouts.firstTokenMs} ms` : `no end within ${deps.timeouts.totalMs} ms`);
    else if (!failure && reason === null && text.trim() === '') failure = new ProviderError('malformed', 'the provider answered no text');
    const tokens = usage ?? promptTokens + estimateTokens(text);
    if (failure) {
      deps.onFailure?.(reply.id, failure);
      return { state: 'failed', text, tokens, notice: 'failed' };
    }
    return { state: reason === 'stopped' ? 'stopped' : 'done', text, tokens, notice: null };
  }

  return {
    kind: ASSISTANT_REPLY_KIND,
    // A try that threw (the database away) is tried again; the reply's own state says where it stood.
    retryDelaysMs: [5_000, 30_000, 120_000],

    async send(row: OutboxRow): Promise<SendOutcome> {
      const replyId = readPayload(row);
      if (!replyId) return { ok: false, error: 'not a reply', retry: false };
      const reply = await assistants.findReply(replyId);
      // Gone with its conversation, or ended already.
      if (!reply || (reply.state !== 'pending' && reply.state !== 'streaming')) return { ok: true };
      const conversation = await deps.conversations.findById(reply.conversation_id);
      if (!conversation) return { ok: true };
      const [assistant, user] = await Promise.all([assistants.findById(reply.assistant_id), users.findById(reply.user_id)]);
      const skip = () => end(reply, conversation, assistant, user, { state: 'skipped', text: '', tokens: 0, notice: null }, ['pending']);
      if (reply.state === 'streaming') {
        // This reply began on a worker that stopped (its lease ran out): end it with what was saved.
        await end(reply, conversation, assistant, user, { state: 'failed', text: reply.partial_text, tokens: estimateTokens(reply.partial_text), notice: 'failed' }, ['streaming']);
        return { ok: true };
      }
      if (reply.stop_requested === 1 || !assistant || !user || assistant.answers === 'never' || conversation.assistant_off_at !== null) {
        await skip();
        return { ok: true };
      }
      // A later message of the conversation waits: its reply answers this one too.
      const newest = await outbox.pendingOf(replyOrderingKey(conversation.id));
      if (newest && newest.id !== row.id) {
        await skip();
        return { ok: true };
      }
      const at = now();
      if (assistant.answers === 'when_offline' && (await deps.presence.online(conversation.organization_id, at))) {
        await skip();
        return { ok: true };
      }
      // The start reserves the reply's message under the daily limits, in the move's transaction: replies
      // starting at once cannot all pass one free message.
      const started = await assistants.startReply(reply.id, { ...usageKeyOf(reply, user), limits: assistant.limits }, at);
      if (started === 'limit_reached') {
        await end(reply, conversation, assistant, user, { state: 'skipped', text: '', tokens: 0, notice: 'limit_reached' }, ['pending']);
        return { ok: true };
      }
      // Stopped or taken over since the checks above (or moved by another worker): it never starts.
      if (started === 'not_started') {
        await skip();
        return { ok: true };
      }
      const audience = await audienceOf(conversation);
      await signals.publishSignal({ type: 'assistant.replying', senderId: assistant.id, audience, data: { conversationId: conversation.id, replyId: reply.id } });
      let ending: Ending;
      try {
        ending = await stream(reply, conversation, assistant, user, audience);
      } catch (error) {
        // Not the provider's failure (the database away while reading the context): the reply still ends.
        ending = { state: 'failed', text: '', tokens: 0, notice: 'failed' };
        await end(reply, conversation, assistant, user, ending, ['streaming']).catch(() => undefined);
        throw error;
      }
      await end(reply, conversation, assistant, user, ending, ['streaming']);
      return { ok: true };
    },
  };
}

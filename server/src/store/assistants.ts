/**
 * Assistants (docs/assistant.md): their configuration, the state of each reply, and usage per UTC day.
 *
 * Every conversation shown reads which assistant serves it, so the list is kept in memory
 * (store/read-cache.ts, `announced`): a write here forgets it at once in this process, and announces it on
 * PostgreSQL so that every instance forgets it at the write's commit. The list is small (a few rows).
 */
import { sql, type Kysely, type Selectable } from 'kysely';
import type { Store } from './database.js';
import type { AssistantReplyState, AssistantRepliesTable, AssistantsTable, Database } from './schema.js';
import { announceCacheChange, readCacheOf } from './read-cache.js';
import { newId } from '../ids.js';

export type AssistantAnswers = AssistantsTable['answers'];

export interface AssistantLimits {
  userMessagesPerDay: number | null;
  userTokensPerDay: number | null;
  organizationMessagesPerDay: number | null;
  organizationTokensPerDay: number | null;
}

export const NO_LIMITS: AssistantLimits = { userMessagesPerDay: null, userTokensPerDay: null, organizationMessagesPerDay: null, organizationTokensPerDay: null };

/** An assistant as the code reads it: JSON columns parsed, flags as booleans. */
export interface AssistantRow {
  id: string;
  name: string;
  baseUrl: string;
  model: string;
  apiKey: string;
  systemPrompt: string;
  temperature: number;
  answers: AssistantAnswers;
  organizationIds: readonly string[] | null;
  documentRooms: boolean;
  shareTokenMetadata: boolean;
  allowPrivateAddress: boolean;
  contextTokens: number;
  limits: AssistantLimits;
  createdAt: number;
  updatedAt: number;
}

export type AssistantInput = Omit<AssistantRow, 'id' | 'createdAt' | 'updatedAt'>;
export type AssistantPatch = Partial<AssistantInput>;

export type AssistantReplyRow = Selectable<AssistantRepliesTable>;

const CACHE = 'assistants';

function readJson(text: string | null): unknown {
  if (text === null) return null;
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

const limitOf = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : null);

function toRow(r: Selectable<AssistantsTable>): AssistantRow {
  const ids = readJson(r.organization_ids);
  const limits = readJson(r.limits) as Record<string, unknown> | null;
  return {
    id: r.id,
    name: r.name,
    baseUrl: r.base_url,
    model: r.model,
    apiKey: r.api_key,
    systemPrompt: r.system_prompt,
    temperature: Number(r.temperature),
    answers: r.answers,
    organizationIds: Array.isArray(ids) ? ids.filter((i): i is string => typeof i === 'string') : null,
    documentRooms: r.document_rooms === 1,
    shareTokenMetadata: r.share_token_metadata === 1,
    allowPrivateAddress: r.allow_private_address === 1,
    contextTokens: Number(r.context_tokens),
    limits: {
      userMessagesPerDay: limitOf(limits?.['userMessagesPerDay']),
      userTokensPerDay: limitOf(limits?.['userTokensPerDay']),
      organizationMessagesPerDay: limitOf(limits?.['organizationMessagesPerDay']),
      organizationTokensPerDay: limitOf(limits?.['organizationTokensPerDay']),
    },
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
  };
}

function toColumns(input: AssistantPatch): Partial<Selectable<AssistantsTable>> {
  const c: Partial<Selectable<AssistantsTable>> = {};
  if (input.name !== undefined) c.name = input.name;
  if (input.baseUrl !== undefined) c.base_url = input.baseUrl;
  if (input.model !== undefined) c.model = input.model;
  if (input.apiKey !== undefined) c.api_key = input.apiKey;
  if (input.systemPrompt !== undefined) c.system_prompt = input.systemPrompt;
  if (input.temperature !== undefined) c.temperature = input.temperature;
  if (input.answers !== undefined) c.answers = input.answers;
  if (input.organizationIds !== undefined) c.organization_ids = input.organizationIds === null ? null : JSON.stringify(input.organizationIds);
  if (input.documentRooms !== undefined) c.document_rooms = input.documentRooms ? 1 : 0;
  if (input.shareTokenMetadata !== undefined) c.share_token_metadata = input.shareTokenMetadata ? 1 : 0;
  if (input.allowPrivateAddress !== undefined) c.allow_private_address = input.allowPrivateAddress ? 1 : 0;
  if (input.contextTokens !== undefined) c.context_tokens = input.contextTokens;
  if (input.limits !== undefined) c.limits = JSON.stringify(input.limits);
  return c;
}

/** `YYYY-MM-DD` of `now` in UTC: the day usage counts against. */
export const utcDay = (now: number) => new Date(now).toISOString().slice(0, 10);

export interface UsageTotals {
  messages: number;
  tokens: number;
}

/** Whose count of which day a reply is counted in. */
export interface UsageKey {
  assistantId: string;
  day: string;
  userId: string;
  organizationId: string;
}

/** Thrown inside `startReply`'s transaction to roll the move back when no message can be reserved. */
class NoRoom extends Error {}

/** A daily-limit lock key per assistant, day and organization (pg_advisory_xact_lock takes a number). */
const usageLockKey = (key: UsageKey) => `assistant_usage:${key.assistantId}:${key.day}:${key.organizationId}`;

/** The organization's counts of the day (the sum of its users' rows). */
async function organizationUsage(executor: Kysely<Database>, key: UsageKey): Promise<UsageTotals> {
  const row = await executor
    .selectFrom('assistant_usage')
    .select((eb) => [eb.fn.sum<number>('messages').as('messages'), eb.fn.sum<number>('tokens').as('tokens')])
    .where('assistant_id', '=', key.assistantId)
    .where('day', '=', key.day)
    .where('organization_id', '=', key.organizationId)
    .executeTakeFirst();
  return { messages: Number(row?.messages ?? 0), tokens: Number(row?.tokens ?? 0) };
}

/**
 * Counts one more message for the user (and so their organization) on `day`, only while both are under
 * their limits; answers whether it did. The user's count is one conditional upsert: concurrent ones on
 * PostgreSQL queue on the row and each re-reads it, so no two pass the last free message. The
 * organization's is a sum over its users' rows, which no row lock covers: on PostgreSQL the reservations
 * of one organization (for an assistant and day) queue on an advisory lock held to the commit, and SQLite
 * runs one write transaction at a time. Tokens are known only when a reply ends: a token limit is judged
 * on the tokens of the replies ended so far.
 */
async function reserveMessage(trx: Kysely<Database>, dialect: Store['dialect'], key: UsageKey, limits: AssistantLimits): Promise<boolean> {
  const { userMessagesPerDay: userMessages, userTokensPerDay: userTokens, organizationMessagesPerDay: orgMessages, organizationTokensPerDay: orgTokens } = limits;
  if (userMessages === 0 || userTokens === 0 || orgMessages === 0 || orgTokens === 0) return false;
  if (orgMessages !== null || orgTokens !== null) {
    if (dialect === 'postgres') await sql`select pg_advisory_xact_lock(hashtext(${usageLockKey(key)}))`.execute(trx);
    const organization = await organizationUsage(trx, key);
    if ((orgMessages !== null && organization.messages >= orgMessages) || (orgTokens !== null && organization.tokens >= orgTokens)) return false;
  }
  const row = await trx
    .insertInto('assistant_usage')
    .values({ assistant_id: key.assistantId, day: key.day, user_id: key.userId, organization_id: key.organizationId, messages: 1, tokens: 0 })
    .onConflict((oc) => {
      const update = oc.columns(['assistant_id', 'day', 'user_id']).doUpdateSet({ messages: sql`assistant_usage.messages + 1` });
      if (userMessages === null && userTokens === null) return update;
      return update.where((eb) =>
        eb.and([...(userMessages !== null ? [eb('assistant_usage.messages', '<', userMessages)] : []), ...(userTokens !== null ? [eb('assistant_usage.tokens', '<', userTokens)] : [])]),
      );
    })
    .returning('messages')
    .executeTakeFirst();
  return row !== undefined;
}

export function createAssistantRepository(store: Store) {
  const { db } = store;
  const cache = readCacheOf<{ rows: AssistantRow[] }>(store, CACHE, { announced: true });

  /** Forgets the cached list here and, on PostgreSQL, on every instance at the commit of `executor`. */
  async function changed(executor: Kysely<Database>): Promise<void> {
    cache.clear();
    await announceCacheChange(store, executor, CACHE);
  }

  async function findById(id: string, executor: Kysely<Database> = db): Promise<AssistantRow | undefined> {
    const row = await executor.selectFrom('assistants').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toRow(row);
  }

  return {
    /** Every assistant, oldest first (kept in memory: see above). */
    async list(): Promise<readonly AssistantRow[]> {
      const loaded = await cache.get('all', async () => ({ rows: (await db.selectFrom('assistants').selectAll().orderBy('created_at').orderBy('id').execute()).map(toRow) }));
      return loaded?.rows ?? [];
    },

    /** Forgets the cached list (after a commit: a read on another connection meanwhile may have kept the old one). */
    forget: () => cache.clear(),

    /** Every assistant as `executor` (a transaction) reads them, not cached. */
    async listWith(executor: Kysely<Database>): Promise<AssistantRow[]> {
      return (await executor.selectFrom('assistants').selectAll().orderBy('created_at').orderBy('id').execute()).map(toRow);
    },

    findById,

    async create(executor: Kysely<Database>, input: AssistantInput, now: number): Promise<AssistantRow> {
      const id = newId('ast');
      const columns = toColumns(input) as Omit<Selectable<AssistantsTable>, 'id' | 'created_at' | 'updated_at'>;
      await executor.insertInto('assistants').values({ ...columns, id, created_at: now, updated_at: now }).execute();
      await changed(executor);
      return (await findById(id, executor))!;
    },

    async update(executor: Kysely<Database>, id: string, patch: AssistantPatch, now: number): Promise<AssistantRow | undefined> {
      const result = await executor.updateTable('assistants').set({ ...toColumns(patch), updated_at: now }).where('id', '=', id).executeTakeFirst();
      if (Number(result.numUpdatedRows) === 0) return undefined;
      await changed(executor);
      return findById(id, executor);
    },

    async delete(executor: Kysely<Database>, id: string): Promise<boolean> {
      const result = await executor.deleteFrom('assistants').where('id', '=', id).executeTakeFirst();
      await changed(executor);
      return Number(result.numDeletedRows) > 0;
    },

    // Replies

    async createReply(executor: Kysely<Database>, input: { conversationId: string; assistantId: string; userId: string }, now: number): Promise<string> {
      const id = newId('rpl');
      await executor
        .insertInto('assistant_replies')
        .values({ id, conversation_id: input.conversationId, assistant_id: input.assistantId, user_id: input.userId, state: 'pending', created_at: now, updated_at: now })
        .execute();
      return id;
    },

    findReply: (id: string, executor: Kysely<Database> = db) => executor.selectFrom('assistant_replies').selectAll().where('id', '=', id).executeTakeFirst(),

    /** Moves a reply from one of `from` to `to`; answers whether this call moved it (so only one caller ends a reply). */
    async moveReply(executor: Kysely<Database>, id: string, from: readonly AssistantReplyState[], to: AssistantReplyState, now: number): Promise<boolean> {
      const result = await executor.updateTable('assistant_replies').set({ state: to, updated_at: now }).where('id', '=', id).where('state', 'in', from).executeTakeFirst();
      return Number(result.numUpdatedRows) > 0;
    },

    /**
     * Starts a pending reply, in one transaction: moves it to streaming, only while nobody asked it to stop
     * and its conversation is still the assistant's (a stop or a take-over that committed after the sender's
     * checks wins and the reply never starts; on PostgreSQL the update waits for a stop writing the same row,
     * then reads the flag it left), and reserves its message in the day's usage (`reserveMessage`). Answers
     * `started`, `limit_reached` (nothing changed: the reply is still pending), or `not_started` (stopped,
     * taken over, or moved already by another worker).
     */
    async startReply(id: string, usage: UsageKey & { limits: AssistantLimits }, now: number): Promise<'started' | 'limit_reached' | 'not_started'> {
      try {
        return await db.transaction().execute(async (trx) => {
          const result = await trx
            .updateTable('assistant_replies')
            .set({ state: 'streaming', updated_at: now })
            .where('id', '=', id)
            .where('state', '=', 'pending')
            .where('stop_requested', '=', 0)
            .where(({ exists, selectFrom }) =>
              exists(selectFrom('conversations').select('conversations.id').whereRef('conversations.id', '=', 'assistant_replies.conversation_id').where('conversations.assistant_off_at', 'is', null)),
            )
            .executeTakeFirst();
          if (Number(result.numUpdatedRows) === 0) return 'not_started';
          // Rolled back: the reply stays pending for the caller to end with the limit's notice.
          if (!(await reserveMessage(trx, store.dialect, usage, usage.limits))) throw new NoRoom();
          return 'started';
        });
      } catch (error) {
        if (error instanceof NoRoom) return 'limit_reached';
        throw error;
      }
    },

    /** Saves what was streamed so far (read back only when a crash interrupted the reply). */
    async savePartial(id: string, text: string, now: number): Promise<void> {
      await db.updateTable('assistant_replies').set({ partial_text: text, updated_at: now }).where('id', '=', id).where('state', '=', 'streaming').execute();
    },

    /** Asks the conversation's replies in progress to stop; answers their ids. */
    async requestStop(executor: Kysely<Database>, conversationId: string, now: number): Promise<string[]> {
      const rows = await executor
        .updateTable('assistant_replies')
        .set({ stop_requested: 1, updated_at: now })
        .where('conversation_id', '=', conversationId)
        .where('state', 'in', ['pending', 'streaming'])
        .returning('id')
        .execute();
      return rows.map((r) => r.id);
    },

    /**
     * Whether a streaming reply should stop: it was asked to, it is gone, or its conversation is no longer the
     * assistant's (a take-over whose stop missed this reply, one that was being written as it committed).
     */
    async stopRequested(id: string): Promise<boolean> {
      const row = await db
        .selectFrom('assistant_replies')
        .innerJoin('conversations', 'conversations.id', 'assistant_replies.conversation_id')
        .select(['assistant_replies.stop_requested', 'conversations.assistant_off_at'])
        .where('assistant_replies.id', '=', id)
        .executeTakeFirst();
      return row === undefined || row.stop_requested === 1 || row.assistant_off_at !== null;
    },

    // Usage

    /**
     * Adds an ended reply's tokens to the count its start reserved (a reply started before reservations
     * existed, or whose row is gone, is counted whole here).
     */
    async addTokens(executor: Kysely<Database>, input: UsageKey & { tokens: number }): Promise<void> {
      await executor
        .insertInto('assistant_usage')
        .values({ assistant_id: input.assistantId, day: input.day, user_id: input.userId, organization_id: input.organizationId, messages: 1, tokens: input.tokens })
        .onConflict((oc) => oc.columns(['assistant_id', 'day', 'user_id']).doUpdateSet({ tokens: sql`assistant_usage.tokens + ${input.tokens}` }))
        .execute();
    },

    /** Gives back the message a reply reserved when it ended with nothing stored (stopped or failed before any text). */
    async releaseMessage(executor: Kysely<Database>, input: UsageKey): Promise<void> {
      await executor
        .updateTable('assistant_usage')
        .set({ messages: sql`messages - 1` })
        .where('assistant_id', '=', input.assistantId)
        .where('day', '=', input.day)
        .where('user_id', '=', input.userId)
        .where('messages', '>', 0)
        .execute();
    },

    /** The day's usage by user and by organization, most tokens first. */
    async usageReport(assistantId: string, day: string) {
      const users = await db
        .selectFrom('assistant_usage as u')
        .innerJoin('users', 'users.id', 'u.user_id')
        .select(['u.user_id', 'users.name', 'users.email', 'u.messages', 'u.tokens'])
        .where('u.assistant_id', '=', assistantId)
        .where('u.day', '=', day)
        .orderBy('u.tokens', 'desc')
        .orderBy('u.user_id')
        .execute();
      const organizations = await db
        .selectFrom('assistant_usage as u')
        .leftJoin('organizations', 'organizations.id', 'u.organization_id')
        .select((eb) => ['u.organization_id', 'organizations.name', eb.fn.sum<number>('u.messages').as('messages'), eb.fn.sum<number>('u.tokens').as('tokens')])
        .where('u.assistant_id', '=', assistantId)
        .where('u.day', '=', day)
        .groupBy(['u.organization_id', 'organizations.name'])
        .orderBy('tokens', 'desc')
        .orderBy('u.organization_id')
        .execute();
      return {
        users: users.map((u) => ({ userId: u.user_id, name: u.name, email: u.email, messages: Number(u.messages), tokens: Number(u.tokens) })),
        organizations: organizations.map((o) => ({ organizationId: o.organization_id, name: o.name ?? o.organization_id, messages: Number(o.messages), tokens: Number(o.tokens) })),
      };
    },
  };
}

export type AssistantRepository = ReturnType<typeof createAssistantRepository>;

/**
 * Exports for administrators (docs/admin-api.md, Exports): a conversation's transcript (JSON or plain text,
 * internal notes included) and all the data of one account for a data-subject request (JSON, internal notes
 * left out, since it is meant to be handed to that person). Both are written as a stream fed by keyset-paged
 * queries, a page of messages at a time, so an export of any size holds one page in memory, never the whole.
 * Access is checked before the stream starts, so a refusal is an ordinary `{"error":…}` answer.
 *
 * The pages are read one after the other, not in one transaction: a message written while an export runs
 * may or may not be in it, and a message already exported stays once.
 */
import { Readable } from 'node:stream';
import type { Message } from '#shared/api.js';
import type { ExportFormat } from '#shared/exports-api.js';
import { isAdministrator, type AccessControl } from '../chat/access.js';
import { presentConversation, presentMessage } from '../chat/present.js';
import { ParleyError } from '../errors.js';
import type { Store } from '../store/database.js';
import { assistantLookup } from '../assistant/directory.js';
import type { ConversationRow } from '../store/conversations.js';
import { createMessageRepository, type MessageRow } from '../store/messages.js';
import type { UserRepository, UserRow } from '../store/users.js';
import { presentAuditEntry } from './audit.js';
import type { Inbox } from './inbox.js';
import { presentAdminUser } from './users.js';

/** Messages (and audit entries) read per query. */
export const EXPORT_PAGE_SIZE = 500;
/** Conversations of an account read per query (each then streams its messages page by page). */
const CONVERSATION_PAGE_SIZE = 100;

/** The ids Parley makes (ids.ts): anything else cannot name a conversation or an account. */
const ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

const iso = (ms: number) => new Date(ms).toISOString();
/** `2026-12-01 09:00 UTC`: the transcript's times, to the minute. */
const stamp = (ms: number) => {
  const at = iso(ms);
  return `${at.slice(0, 10)} ${at.slice(11, 16)} UTC`;
};

/** A message as the admin REST shows it; a deleted one has no text, whatever the row holds. */
function exportedMessage(row: MessageRow): Message {
  const message = presentMessage(row);
  return message.deletedAt === null ? message : { ...message, text: '' };
}

/** Who wrote a message, as the inbox's thread names them (widget/src/admin/Messages.tsx). */
function authorName(m: Message): string {
  const { author } = m;
  return author.name ?? (author.type !== 'user' ? author.type : author.id === null ? 'Deleted user' : author.agent ? 'Team' : 'Unnamed user');
}

/**
 * One message of the text transcript: its first line after the time and author, the others indented, then
 * one indented line per file (its name, type, size and where it is downloaded, relative to Parley's URL).
 */
export function transcriptLines(m: Message): string {
  const head = `[${stamp(Date.parse(m.createdAt))}] ${authorName(m)}${m.internal ? ' (internal note)' : ''}: `;
  if (m.deletedAt !== null) return `${head}Message deleted\n`;
  const [first, ...rest] = m.text.replace(/\r\n?/g, '\n').split('\n');
  const files = m.attachments.map((a) => `    [file: ${a.name}, ${a.type}, ${a.size} bytes, ${a.url}]\n`);
  return `${head}${first}\n${rest.map((line) => `    ${line}\n`).join('')}${files.join('')}`;
}

/** The other claims of the account's signed token, as the object they were signed as. */
function metadataObject(json: string): Record<string, unknown> {
  try {
    const parsed: unknown = JSON.parse(json);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** The items as the inside of a JSON array, after `count` items already written. */
const jsonItems = (items: readonly unknown[], count: number) => (count === 0 ? '' : ',') + items.map((item) => JSON.stringify(item)).join(',');

export function createExports(deps: { store: Store; access: AccessControl; inbox: Inbox; users: UserRepository }) {
  const { db } = deps.store;
  const messages = createMessageRepository(deps.store);

  /** The conversation's messages oldest first, a page at a time; notes only `withNotes`. */
  async function* messagePages(conversationId: string, withNotes: boolean): AsyncGenerator<Message[]> {
    let after: number | undefined;
    for (;;) {
      const rows = await messages.pageAfter(conversationId, after, EXPORT_PAGE_SIZE, withNotes);
      if (rows.length > 0) yield rows.map(exportedMessage);
      if (rows.length < EXPORT_PAGE_SIZE) return;
      after = Number(rows[rows.length - 1]!.seq);
    }
  }

  /** The messages as the inside of a JSON array. */
  async function* jsonMessages(conversationId: string, withNotes: boolean): AsyncGenerator<string> {
    let count = 0;
    for await (const page of messagePages(conversationId, withNotes)) {
      yield jsonItems(page, count);
      count += page.length;
    }
  }

  async function participantsOf(conversationId: string) {
    const rows = await db
      .selectFrom('participants')
      .innerJoin('users', 'users.id', 'participants.user_id')
      .select(['users.id', 'users.external_id', 'users.name', 'users.email', 'users.role', 'participants.joined_at'])
      .where('participants.conversation_id', '=', conversationId)
      .orderBy('participants.joined_at')
      .orderBy('users.id')
      .execute();
    return rows.map((p) => ({ id: p.id, externalId: p.external_id, name: p.name, email: p.email, role: p.role, agent: isAdministrator(p), joinedAt: iso(Number(p.joined_at)) }));
  }

  /** The conversations the account takes part in or started, oldest first, a page at a time. */
  async function* conversationPages(user: UserRow): AsyncGenerator<ConversationRow[]> {
    let after: { createdAt: number; id: string } | undefined;
    for (;;) {
      let query = db
        .selectFrom('conversations')
        .selectAll()
        .where('organization_id', '=', user.organization_id)
        .where((eb) => eb.or([eb('created_by', '=', user.id), eb('id', 'in', eb.selectFrom('participants').select('conversation_id').where('user_id', '=', user.id))]));
      if (after) {
        const { createdAt, id } = after;
        query = query.where((eb) => eb.or([eb('created_at', '>', createdAt), eb.and([eb('created_at', '=', createdAt), eb('id', '>', id)])]));
      }
      const rows = await query.orderBy('created_at', 'asc').orderBy('id', 'asc').limit(CONVERSATION_PAGE_SIZE).execute();
      if (rows.length > 0) yield rows;
      if (rows.length < CONVERSATION_PAGE_SIZE) return;
      const last = rows[rows.length - 1]!;
      after = { createdAt: Number(last.created_at), id: last.id };
    }
  }

  /** The audit entries whose actor or target is the account, oldest first, as the inside of a JSON array. */
  async function* jsonAuditEntries(userId: string): AsyncGenerator<string> {
    let after = 0;
    let count = 0;
    for (;;) {
      const rows = await db
        .selectFrom('audit_log')
        .selectAll()
        .where((eb) => eb.or([eb('actor_id', '=', userId), eb('target', '=', userId)]))
        .where('id', '>', after)
        .orderBy('id', 'asc')
        .limit(EXPORT_PAGE_SIZE)
        .execute();
      if (rows.length > 0) yield jsonItems(rows.map((r) => presentAuditEntry({ ...r, id: Number(r.id) })), count);
      count += rows.length;
      if (rows.length < EXPORT_PAGE_SIZE) return;
      after = Number(rows[rows.length - 1]!.id);
    }
  }

  return {
    /**
     * Conversation `id` as `admin` may read it (the inbox's access check: their organization only, else 404
     * `conversation_not_found`), as a stream of its transcript in `format`.
     */
    async transcript(admin: UserRow, id: string, format: ExportFormat): Promise<Readable> {
      if (!ID_PATTERN.test(id)) throw new ParleyError('conversation_not_found');
      const row = await deps.access.requireConversation(admin, id, 'read');
      const [conversation, participants] = await Promise.all([deps.inbox.one(row), participantsOf(id)]);

      async function* json(): AsyncGenerator<string> {
        yield `{"conversation":${JSON.stringify(conversation)},"participants":${JSON.stringify(participants)},"messages":[`;
        yield* jsonMessages(id, true);
        yield ']}\n';
      }
      async function* text(): AsyncGenerator<string> {
        const status = row.status === 'snoozed' && row.snoozed_until !== null ? `snoozed until ${stamp(row.snoozed_until)}` : row.status;
        yield `Title: ${row.title ?? 'Untitled'}\nConversation: ${row.id}\nCreated: ${stamp(row.created_at)}\nStatus: ${status}\n\n`;
        for await (const page of messagePages(id, true)) yield page.map(transcriptLines).join('');
      }
      return Readable.from(format === 'json' ? json() : text(), { objectMode: false });
    },

    /**
     * All the data of account `id` (profile and metadata, their conversations with every message but the
     * internal notes, the audit entries naming them) as a JSON stream. An owner may export any account; an
     * admin only one of their organization: any other, like an unknown id, is 404 `account_not_found`.
     */
    async userData(admin: UserRow, id: string): Promise<Readable> {
      const user = ID_PATTERN.test(id) ? await deps.users.findById(id) : undefined;
      if (!user || (admin.role !== 'owner' && user.organization_id !== admin.organization_id)) throw new ParleyError('account_not_found');

      async function* json(): AsyncGenerator<string> {
        yield `{"user":${JSON.stringify({ ...presentAdminUser(user!), metadata: metadataObject(user!.metadata) })},"conversations":[`;
        let count = 0;
        for await (const page of conversationPages(user!)) {
          const last = await messages.lastOf(
            page.map((c) => c.id),
            false,
          );
          const assistantOf = await assistantLookup(deps.store);
          for (const row of page) {
            // The conversation's JSON object, opened again to add its messages.
            yield `${count === 0 ? '' : ','}${JSON.stringify(presentConversation(row, last.get(row.id), assistantOf)).slice(0, -1)},"messages":[`;
            yield* jsonMessages(row.id, false);
            yield ']}';
            count++;
          }
        }
        yield '],"auditEntries":[';
        yield* jsonAuditEntries(user!.id);
        yield ']}\n';
      }
      return Readable.from(json(), { objectMode: false });
    },
  };
}

export type Exports = ReturnType<typeof createExports>;

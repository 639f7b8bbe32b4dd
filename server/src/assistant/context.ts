/**
 * What the model is sent for one reply (docs/assistant.md, Context):
 * - a system message: the assistant's system prompt, the user's name, and (with `shareTokenMetadata`) the
 *   other claims of their signed token (users.metadata);
 * - the conversation's recent messages that the user sees (no internal notes, no deleted or system
 *   messages), newest kept first, within `contextTokens` estimated as ceil(characters / 4); at most the
 *   CONTEXT_MESSAGES newest are read.
 * Roles: the user's messages (and, in a document room, other people's, prefixed with their name) are `user`;
 * the assistant's are `assistant`; a team member's are `assistant` too, prefixed "[Name, of the team]", so the
 * model sees what the team already said as the support side's words without taking it for its own style.
 */
import type { ChatMessage } from './provider.js';
import type { AssistantRow } from '../store/assistants.js';
import type { Store } from '../store/database.js';
import type { UserRow } from '../store/users.js';

/** At most this many recent messages are read for the context. */
export const CONTEXT_MESSAGES = 200;
/** At most this many characters of the token's metadata are sent. */
const METADATA_CHARS = 4000;

/** A token estimate good enough for budgets: about four characters a token in English text. */
export const estimateTokens = (text: string) => Math.ceil(text.length / 4);

export interface HistoryMessage {
  /** Where it stands: its `seq`, or for a reply, just after the newest message its context held. */
  position: number;
  authorType: 'user' | 'assistant' | 'system';
  authorId: string | null;
  authorName: string | null;
  authorRole: string | null;
  text: string;
}

/** The conversation's newest messages a user sees, newest first. */
export async function readHistory(store: Store, conversationId: string): Promise<HistoryMessage[]> {
  const rows = await store.db
    .selectFrom('messages')
    .leftJoin('users', 'users.id', 'messages.author_id')
    .leftJoin('assistant_replies', (join) => join.onRef('assistant_replies.id', '=', 'messages.client_message_id').on('messages.author_type', '=', 'assistant'))
    .select(['messages.seq', 'messages.author_type', 'messages.author_id', 'messages.text', 'users.name', 'users.role', 'assistant_replies.context_seq'])
    .where('messages.conversation_id', '=', conversationId)
    .where('messages.internal', '=', 0)
    .where('messages.deleted_at', 'is', null)
    .where('messages.author_type', '!=', 'system')
    .orderBy('messages.seq', 'desc')
    .limit(CONTEXT_MESSAGES)
    .execute();
  // A reply stored while the user wrote on answered what its context held: it goes right after that, so
  // the model is asked about what is still unanswered (and the last message it is sent is the user's).
  return rows
    .map((r) => ({ position: r.context_seq === null ? Number(r.seq) : Number(r.context_seq) + 0.5, authorType: r.author_type, authorId: r.author_id, authorName: r.name, authorRole: r.role, text: r.text }))
    .sort((a, b) => b.position - a.position);
}

/** The metadata claims of the user's signed token, as JSON text (empty when there are none). */
function metadataText(user: Pick<UserRow, 'metadata'>): string {
  try {
    const value: unknown = JSON.parse(user.metadata);
    if (typeof value !== 'object' || value === null || Array.isArray(value) || Object.keys(value).length === 0) return '';
    return JSON.stringify(value).slice(0, METADATA_CHARS);
  } catch {
    return '';
  }
}

export function systemPromptFor(assistant: Pick<AssistantRow, 'systemPrompt' | 'shareTokenMetadata'>, user: Pick<UserRow, 'name' | 'metadata'>): string {
  const parts = [assistant.systemPrompt.trim()];
  parts.push(user.name ? `You are talking with ${user.name}.` : 'The user has not given a name.');
  const metadata = assistant.shareTokenMetadata ? metadataText(user) : '';
  if (metadata) parts.push(`What the product knows of this user (from their sign-in token, JSON): ${metadata}`);
  return parts.filter(Boolean).join('\n\n');
}

/** The messages of one request, oldest first, the system message first. */
export function buildContext(assistant: Pick<AssistantRow, 'systemPrompt' | 'shareTokenMetadata' | 'contextTokens'>, user: Pick<UserRow, 'id' | 'name' | 'metadata'>, newestFirst: readonly HistoryMessage[]): ChatMessage[] {
  const picked: ChatMessage[] = [];
  let used = 0;
  for (const m of newestFirst) {
    let content = m.text;
    let role: ChatMessage['role'] = 'user';
    if (m.authorType === 'assistant') role = 'assistant';
    else if (m.authorRole === 'owner' || m.authorRole === 'admin') {
      role = 'assistant';
      content = `[${m.authorName ?? 'A person'}, of the team] ${content}`;
    } else if (m.authorId !== user.id) content = `[${m.authorName ?? 'Another user'}] ${content}`;
    const cost = estimateTokens(content);
    if (used + cost > assistant.contextTokens) {
      // The newest message always goes, cut to the budget from its end if it alone is over it.
      if (picked.length === 0) picked.push({ role, content: content.slice(-assistant.contextTokens * 4) });
      break;
    }
    used += cost;
    picked.push({ role, content });
  }
  return [{ role: 'system', content: systemPromptFor(assistant, user) }, ...picked.reverse()];
}

/**
 * The user's conversations, one button each: the title (a placeholder until the first message gives one),
 * when the last message was written, who wrote it and its first line ("Message deleted" once it is), and a dot for unread messages that
 * screen readers hear as "N unread messages".
 */
import type { User } from '#shared/api.js';
import { authorName, preview, when } from './format.js';
import type { Strings } from './strings.js';
import type { ChatConversation } from './use-chat.js';

export interface ConversationListProps {
  conversations: ChatConversation[];
  selectedId: string | null;
  me: User;
  t: Strings;
  lang: string | undefined;
  /** The team's name, for an agent who has none. */
  team?: string | null;
  onOpen: (id: string) => void;
}

export function ConversationList({ conversations, selectedId, me, t, lang, team, onOpen }: ConversationListProps) {
  const now = new Date();
  return (
    <ul class="conversations" aria-label={t.conversations}>
      {conversations.map((c) => {
        const last = c.lastMessage;
        const unread = c.unreadCount ?? 0;
        const current = c.id === selectedId;
        return (
          <li key={c.id}>
            <button type="button" class={current ? 'active' : ''} aria-current={current ? 'true' : undefined} data-conversation-id={c.id} data-unread={unread || undefined} onClick={() => onOpen(c.id)}>
              <span class="title" dir="auto">
                {c.title ?? t.newConversation}
              </span>
              {last && <time dateTime={last.createdAt}>{when(last.createdAt, lang, now)}</time>}
              {last && (
                <span class="last">
                  <span class="by">{authorName(last, me, t, team)}:</span>{' '}
                  <span class="preview" dir="auto">
                    {last.deletedAt ? <em>{t.deleted}</em> : preview(last.text)}
                  </span>
                </span>
              )}
              {unread > 0 && (
                <span class="dot">
                  <span class="sr-only">{t.unread(unread)}</span>
                </span>
              )}
            </button>
          </li>
        );
      })}
    </ul>
  );
}

/**
 * One open conversation: its head (back, title, whether the team is online), its messages (older ones paged
 * in when scrolled to the top, or with the "Load older messages" button), "Seen" under my last message once
 * another participant has read it, the assistant's reply as it streams (with Stop), who else is typing,
 * "Talk to a person" while an assistant answers, and the composer with its files. A module of its own:
 * ChatView loads it right after the home view, so that what a host page downloads before the widget is
 * usable stays small (the message list, Markdown, files and scrolling come a moment later).
 */
import { useEffect, useRef } from 'preact/hooks';
import type { Attachment, User } from '#shared/api.js';
import type { ApiClient } from '../api/client.js';
import { AttachButton, useAttach } from './attach.js';
import { Composer } from './composer.js';
import { isMine } from './format.js';
import { Presence } from './home.js';
import { ThreadHead } from './thread-head.js';
import { Markdown } from './markdown.js';
import { MessageItem } from './message.js';
import type { Strings } from './strings.js';
import { DRAFT, type ChatConversation, type useChat } from './use-chat.js';
import { useThreadScroll, type ScrollMemory } from './use-scroll.js';

/** The composer of an existing conversation: its files go there. */
function ThreadComposer({ api, conversationId, t, lang, onSend, onType }: { api: ApiClient; conversationId: string; t: Strings; lang: string | undefined; onSend: (text: string, attachments: Attachment[]) => void; onType: () => void }) {
  const files = useAttach(api, conversationId, lang);
  // A draft (a conversation its first message will create) has nowhere to upload to yet.
  if (!api.upload || conversationId.startsWith(DRAFT)) return <Composer t={t} onSend={onSend} onType={onType} />;
  return (
    <Composer t={t} onSend={onSend} onType={onType} files={files}>
      <AttachButton state={files} t={t} />
    </Composer>
  );
}

export interface ThreadProps {
  chat: ReturnType<typeof useChat>;
  conversation: ChatConversation;
  api: ApiClient;
  me: User;
  t: Strings;
  lang: string | undefined;
  /** The compact layout's heading level and its way back (null: none, as in a document room). */
  compact: boolean;
  onBack: (() => void) | null;
  title: string | null;
  /** A document room's viewer: no composer, no editing. */
  readOnly: boolean;
  /** A document room: no presence in the head. */
  room: boolean;
  visible: boolean;
  team: string | null;
  awayText: string;
  /** Where threads were left scrolled (the chat view keeps it while this view comes and goes). */
  scrollMemory: ScrollMemory;
}

export function Thread({ chat, conversation, api, me, t, lang, compact, onBack, title, readOnly, room, visible, team, awayText, scrollMemory }: ThreadProps) {
  const { state, online, loadOlder, send, edit, remove, typing, handoff, stopReply } = chat;
  const id = conversation.id;
  const listRef = useRef<HTMLOListElement>(null);
  const thread = state.threads[id];
  const items = thread?.items ?? [];
  const scroll = useThreadScroll(listRef, thread ? id : null, items, visible, scrollMemory);
  // "Seen" goes under my last sent message (a deleted one says nothing) once another participant's marker is
  // at it or after it.
  const mineAt = items.findLastIndex((m) => m.status === 'sent' && isMine(m, me) && !m.deletedAt);
  const seenAt = items.findIndex((m) => m.id === state.seen[id]);
  const typer = state.typing[id];
  const reply = state.replies[id];

  const loadMore = () => {
    const first = items.find((m) => m.status === 'sent');
    if (thread?.hasMore && !thread.loadingOlder && first) loadOlder(id, first.id);
  };
  const onScroll = () => {
    scroll.onScroll();
    if (listRef.current && listRef.current.scrollTop < 40) loadMore();
  };
  // The button goes with the oldest page: focus it had stays in the list instead of falling to the page.
  const olderClicked = useRef(false);
  useEffect(() => {
    const el = listRef.current;
    if (!thread?.hasMore && olderClicked.current && el) {
      olderClicked.current = false;
      const active = (el.getRootNode() as Document | ShadowRoot).activeElement;
      if (!active || active === document.body) el.focus();
    }
  }, [thread?.hasMore]);

  return (
    <>
      <ThreadHead t={t} title={title} compact={compact} onBack={onBack}>
        {!room && <Presence online={online} away={awayText} t={t} />}
      </ThreadHead>
      <div class="pane">
        <ol class="messages" ref={listRef} onScroll={onScroll} tabIndex={0}>
          {thread?.hasMore && (
            <li class="older">
              <button
                type="button"
                aria-disabled={thread.loadingOlder}
                onClick={() => {
                  olderClicked.current = true;
                  loadMore();
                }}
              >
                {thread.loadingOlder ? t.loadingOlder : t.loadOlder}
              </button>
            </li>
          )}
          {thread && items.length === 0 && <li class="empty">{readOnly ? t.documentEmpty : t.emptyConversation}</li>}
          {items.map((m, i) => (
            <MessageItem
              key={m.clientMessageId ? `${m.author.id}:${m.clientMessageId}` : m.id}
              message={m}
              me={me}
              t={t}
              lang={lang}
              seen={i === mineAt && seenAt >= i}
              team={team}
              own={readOnly ? null : { edit, remove }}
              onRetry={() => send(m.conversationId, m.text, m.clientMessageId ?? undefined, m.attachments)}
              fileUrl={api.fileUrl ?? ((a) => a.url)}
            />
          ))}
          {reply && (
            <li class="msg theirs streaming" aria-busy="true" data-reply-id={reply.replyId}>
              <div class="meta">
                <span class="author">{conversation.assistant?.name ?? t.authors.assistant}</span>{' '}
                <button type="button" class="stop" onClick={() => stopReply(id)}>
                  {t.stop}
                </button>
              </div>
              <div class="text" dir="auto">
                {reply.text ? <Markdown text={reply.text} /> : '…'}
              </div>
            </li>
          )}
        </ol>
        {scroll.below && (
          <button type="button" class="jump" onClick={scroll.jump}>
            {t.newMessages}
          </button>
        )}
      </div>
      {typer && (
        <p class="typer" role="status">
          {t.typing(typer.name ?? (typer.agent ? team || t.support : t.authors.user))}
        </p>
      )}
      {conversation.assistant?.active && !readOnly && (
        <button type="button" class="handoff" onClick={() => void handoff(id)}>
          {t.talkToPerson}
        </button>
      )}
      {readOnly ? (
        <p class="readonly" role="note">
          {t.readOnly}
        </p>
      ) : (
        <ThreadComposer api={api} conversationId={id} t={t} lang={lang} onSend={(text, files) => send(id, text, undefined, files)} onType={() => typing(id)} />
      )}
    </>
  );
}

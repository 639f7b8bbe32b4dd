/**
 * The open conversation: its header (Back on two screens, who wrote, the title with Rename, the status and
 * assignee controls, whether the AI assistant answers it with Take over), the customer beside the messages,
 * the messages with "Seen", the assistant's reply as it streams and who is typing, and the composer. Viewing a conversation marks it read up to its newest message (not while the page is hidden).
 */
import type { Dispatch } from 'preact/hooks';
import { useEffect, useRef, useState } from 'preact/hooks';
import type { InboxView } from '#shared/admin-api.js';
import type { Message, User } from '#shared/api.js';
import type { AdminApi, AdminUser, ConversationPatch, Customer, InboxConversation } from './api.js';
import { Composer } from './Composer.js';
import { AssistantStatus, ConversationControls } from './ConversationControls.js';
import { ConversationTitle, customerBeside, who } from './ConversationTitle.js';
import { CustomerPanel } from './CustomerPanel.js';
import { errorText } from './errors.js';
import type { InboxAction, StreamingReply, Thread } from './inbox-state.js';
import { MessageList, StreamingBubble, TypingIndicator, type Typing } from './Messages.js';
import { href } from './route.js';
import { Notice, type Note } from './ui.js';

interface Props {
  api: AdminApi;
  me: User;
  openId: string | null;
  view: InboxView | null;
  conversation: InboxConversation | null;
  thread: Thread | null;
  dispatch: Dispatch<InboxAction>;
  admins: AdminUser[];
  typing: Typing;
  /** The assistant's reply streaming in the open conversation now, if any. */
  reply?: StreamingReply | undefined;
}

/** The customer of the open conversation: undefined while asked, null when there is none. */
function useCustomer(api: AdminApi, openId: string | null) {
  const [customer, setCustomer] = useState<{ id: string; customer: Customer | null | undefined; error: string | null } | null>(null);
  useEffect(() => {
    if (!openId) return setCustomer(null);
    let current = true;
    setCustomer({ id: openId, customer: undefined, error: null });
    api.customer(openId).then(
      (found) => current && setCustomer({ id: openId, customer: found, error: null }),
      (e: unknown) => current && setCustomer({ id: openId, customer: undefined, error: errorText(e) }),
    );
    return () => {
      current = false;
    };
  }, [api, openId]);
  return customer?.id === openId ? customer : null;
}

/** Marks the open thread read up to its newest message while the page is visible, once per message. */
function useMarkRead(api: AdminApi, thread: Thread | null) {
  const marked = useRef<string | null>(null);
  const last = thread?.loaded ? thread.messages[thread.messages.length - 1] : undefined;
  const mark = () => {
    if (!thread || !last || marked.current === last.id || document.visibilityState === 'hidden') return;
    marked.current = last.id;
    api.markRead(thread.id, last.id).catch(() => {
      marked.current = null; // asked again at the next message or visit
    });
  };
  useEffect(mark, [thread?.id, last?.id]);
  useEffect(() => {
    addEventListener('visibilitychange', mark);
    return () => removeEventListener('visibilitychange', mark);
  });
}

export function ThreadPane({ api, me, openId, view, conversation: open, thread, dispatch, admins, typing, reply }: Props) {
  const [note, setNote] = useState<Note>(null);
  const listRef = useRef<HTMLOListElement>(null);
  const sectionRef = useRef<HTMLElement>(null);
  const customer = useCustomer(api, openId);
  const [wide] = useState(customerBeside);
  useMarkRead(api, thread);

  useEffect(() => {
    dispatch({ type: 'open', id: openId });
    setNote(null);
    if (!openId) return;
    api.messages(openId, {}).then(
      (page) => dispatch({ type: 'thread', id: openId, messages: page.messages, hasMore: page.hasMore, older: false }),
      (e: unknown) => setNote({ ok: false, text: errorText(e) }),
    );
  }, [api, openId]);

  const lastId = thread?.messages[thread.messages.length - 1]?.id;
  // Keep the newest message in view when one arrives, and the assistant's reply as it grows.
  useEffect(() => {
    const el = listRef.current;
    if (el) el.scrollTop = el.scrollHeight;
  }, [lastId, reply?.text.length]);

  const fail = (e: unknown) => setNote({ ok: false, text: errorText(e) });
  const loadOlder = (id: string, before: string) =>
    api.messages(id, { before }).then((page) => dispatch({ type: 'thread', id, messages: page.messages, hasMore: page.hasMore, older: true }), fail);
  const send = async (id: string, text: string, clientMessageId: string, internal: boolean, attachmentIds: string[]) => {
    setNote(null);
    try {
      dispatch({ type: 'message', message: await api.reply(id, text, clientMessageId, internal, attachmentIds) });
      return true;
    } catch (e) {
      fail(e);
      return false;
    }
  };
  const actions = {
    onEdit: async (m: Message, text: string) => dispatch({ type: 'changed', message: await api.editMessage(m.conversationId, m.id, text) }),
    onDelete: async (m: Message) => {
      setNote(null);
      try {
        await api.deleteMessage(m.conversationId, m.id);
        dispatch({ type: 'changed', message: { ...m, text: '', deletedAt: new Date().toISOString() } });
        setNote({ ok: true, text: 'Message deleted.' });
        // Its Delete button goes with it: focus goes to the composer rather than being lost.
        sectionRef.current?.querySelector<HTMLTextAreaElement>('.composer textarea')?.focus();
      } catch (e) {
        fail(e);
      }
    },
  };
  const update = async (id: string, patch: ConversationPatch) => {
    dispatch({ type: 'updated', conversation: await api.updateConversation(id, patch) });
  };
  const takeOver = async (id: string) => {
    dispatch({ type: 'updated', conversation: await api.takeOver(id) });
  };

  return (
    <section class="thread" ref={sectionRef} aria-label={open ? who(open) : 'Conversation'}>
      {!openId || !thread ? (
        <p class="placeholder">Pick a conversation to read and answer it.</p>
      ) : (
        <>
          <div class="thread-head">
            <a class="back" href={href('inbox', null, view)} aria-label="Back to conversations">
              <span aria-hidden="true">‹</span>
            </a>
            <div class="heading">
              <h2 tabIndex={-1}>{open ? who(open) : 'Conversation'}</h2>
              {open && <ConversationTitle key={open.id} title={open.title} showTitle={open.participants.length > 0} onRename={(title) => update(open.id, { title })} />}
              {open && <ConversationControls key={open.id} conversation={open} meId={me.id} admins={admins} onChange={(patch) => update(open.id, patch)} />}
              {open && <AssistantStatus key={open.id} assistant={open.assistant} onTakeOver={() => takeOver(open.id)} />}
            </div>
          </div>
          <div class="thread-body">
            <div class="thread-main">
              <ol class="messages" ref={listRef} aria-live="polite" aria-relevant="additions">
                {thread.hasMore && thread.messages[0] && (
                  <li class="older">
                    <button type="button" onClick={() => void loadOlder(thread.id, thread.messages[0]!.id)}>
                      Load older
                    </button>
                  </li>
                )}
                {!thread.loaded && <li class="loading">Loading…</li>}
                {thread.loaded && thread.messages.length === 0 && <li class="empty">No messages yet.</li>}
                <MessageList messages={thread.messages} me={me} seenId={thread.seen} actions={actions} />
                {reply && <StreamingBubble key={reply.replyId} reply={reply} name={open?.assistant?.name ?? 'Assistant'} onStop={() => api.stopAssistant(thread.id)} />}
              </ol>
              <TypingIndicator typing={typing} conversationId={thread.id} />
              <Notice note={note} />
              <Composer
                key={thread.id}
                onSend={(text, clientMessageId, internal, attachmentIds) => send(thread.id, text, clientMessageId, internal, attachmentIds)}
                {...(api.upload ? { upload: (file: File, onProgress: (fraction: number) => void, signal: AbortSignal) => api.upload!(thread.id, file, onProgress, signal) } : {})}
                onTyping={() => void api.typing(thread.id).catch(() => {})}
                loadCanned={() => api.cannedReplies()}
              />
            </div>
            <CustomerPanel key={thread.id} customer={customer?.customer} error={customer?.error ?? null} open={wide} conversationId={thread.id} />
          </div>
        </>
      )}
    </section>
  );
}

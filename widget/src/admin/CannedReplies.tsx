/**
 * Canned replies: the snippets administrators insert with `/` in the inbox composer. Listed by title, each
 * editable in place and deletable after a confirmation; a form adds one.
 */
import { useId, useState } from 'preact/hooks';
import { MAX_CANNED_TEXT_CHARS, MAX_CANNED_TITLE_CHARS } from '#shared/inbox-fields.js';
import type { AdminApi, CannedReply } from './api.js';
import { ConfirmButton, Loading, Notice, useAction, useLoad } from './ui.js';

/** Title and text fields, for a new reply or one being edited. */
function ReplyFields({ title, text, onTitle, onText }: { title: string; text: string; onTitle: (v: string) => void; onText: (v: string) => void }) {
  const id = useId();
  return (
    <div class="fields">
      <label for={`${id}-title`}>Title</label>
      <input id={`${id}-title`} value={title} maxLength={MAX_CANNED_TITLE_CHARS} required onInput={(e) => onTitle((e.currentTarget as HTMLInputElement).value)} />
      <label for={`${id}-text`}>Text</label>
      <textarea id={`${id}-text`} value={text} rows={3} maxLength={MAX_CANNED_TEXT_CHARS} required onInput={(e) => onText((e.currentTarget as HTMLTextAreaElement).value)} />
    </div>
  );
}

function Item({ reply, api, onSaved, onDeleted }: { reply: CannedReply; api: AdminApi; onSaved: (r: CannedReply) => void; onDeleted: (id: string) => void }) {
  const [editing, setEditing] = useState(false);
  const [title, setTitle] = useState(reply.title);
  const [text, setText] = useState(reply.text);
  const action = useAction();
  if (editing)
    return (
      <li class="canned-item">
        <form
          aria-label={`Edit ${reply.title}`}
          onSubmit={(e) => {
            e.preventDefault();
            void action.run(async () => {
              onSaved(await api.updateCannedReply(reply.id, { title: title.trim(), text: text.trim() }));
              setEditing(false);
              return 'Canned reply saved.';
            });
          }}
        >
          <ReplyFields title={title} text={text} onTitle={setTitle} onText={setText} />
          <div class="row">
            <button type="submit" class="primary" disabled={action.busy}>
              Save
            </button>
            <button type="button" onClick={() => setEditing(false)}>
              Cancel
            </button>
          </div>
          <Notice note={action.note} />
        </form>
      </li>
    );
  return (
    <li class="canned-item">
      <h3>{reply.title}</h3>
      <p class="canned-text">{reply.text}</p>
      <div class="row">
        <button
          type="button"
          aria-label={`Edit ${reply.title}`}
          onClick={() => {
            setTitle(reply.title);
            setText(reply.text);
            setEditing(true);
          }}
        >
          Edit
        </button>
        <ConfirmButton
          label="Delete"
          subject={reply.title}
          question={`Delete “${reply.title}”?`}
          danger
          onConfirm={() => void action.run(async () => {
            await api.deleteCannedReply(reply.id);
            onDeleted(reply.id);
            return 'Canned reply deleted.';
          })}
        />
        <Notice note={action.note} inline />
      </div>
    </li>
  );
}

export function CannedRepliesPage({ api }: { api: AdminApi }) {
  const list = useLoad(() => api.cannedReplies(), [api]);
  const [title, setTitle] = useState('');
  const [text, setText] = useState('');
  const create = useAction();
  const id = useId();
  return (
    <>
      <p class="muted">Type / at the start of a reply in the inbox to insert one of these.</p>
      <section class="card" aria-labelledby={`${id}-new`}>
        <h2 id={`${id}-new`}>New canned reply</h2>
        <form
          onSubmit={(e) => {
            e.preventDefault();
            void create.run(async () => {
              const made = await api.createCannedReply({ title: title.trim(), text: text.trim() });
              list.set((replies) => [...replies, made].sort((a, b) => a.title.localeCompare(b.title)));
              setTitle('');
              setText('');
              return 'Canned reply added.';
            });
          }}
        >
          <ReplyFields title={title} text={text} onTitle={setTitle} onText={setText} />
          <div class="row">
            <button type="submit" class="primary" disabled={create.busy || title.trim() === '' || text.trim() === ''}>
              Add canned reply
            </button>
            <Notice note={create.note} inline />
          </div>
        </form>
      </section>
      <section class="card" aria-labelledby={`${id}-all`}>
        <h2 id={`${id}-all`}>Canned replies</h2>
        {!list.data ? (
          <Loading error={list.error} />
        ) : list.data.length === 0 ? (
          <p class="muted">None yet.</p>
        ) : (
          <ul class="canned-list">
            {list.data.map((r) => (
              <Item
                key={r.id}
                reply={r}
                api={api}
                onSaved={(saved) => list.set((replies) => replies.map((x) => (x.id === saved.id ? saved : x)))}
                onDeleted={(gone) => list.set((replies) => replies.filter((x) => x.id !== gone))}
              />
            ))}
          </ul>
        )}
      </section>
    </>
  );
}

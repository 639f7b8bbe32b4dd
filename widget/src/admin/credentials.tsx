/**
 * What the pages that hand out credentials share. A new secret is shown once, read-only with Copy buttons and
 * a warning, in the page's state only, so leaving the page forgets it (API keys, token API credentials and the
 * signing keys of external auth). Named credentials (API keys, token API credentials) are listed, created with
 * a name, and revoked after a confirmation.
 */
import type { ComponentChildren, JSX } from 'preact';
import { Fragment } from 'preact';
import { useState } from 'preact/hooks';
import { ApiError } from '../api/client.js';
import { ConfirmButton, CopyButton, Loading, Notice, StatusBadge, useAction, useLoad, type Action, type Loaded } from './ui.js';

const NAME_MAX = 100;

export interface SecretField {
  id: string;
  label: string;
  value: string;
  /** The accessible name of its Copy button. */
  copyName: string;
}

const selectAll = (e: FocusEvent) => (e.currentTarget as HTMLInputElement).select();

/**
 * The values of a new credential, shown once, with the warning (`children`) above them. With a `title`, it
 * names the group (`labelId`) and Done has a line of its own; without, the one field's label names it and
 * Done sits next to that field.
 */
export function SecretPanel({ labelId, title, fields, onDone, children }: {
  labelId: string;
  title?: string;
  fields: SecretField[];
  onDone: () => void;
  children: ComponentChildren;
}) {
  const done = (
    <button type="button" onClick={onDone}>
      Done
    </button>
  );
  return (
    <div class="secret" role="group" aria-labelledby={labelId}>
      {title && (
        <p id={labelId}>
          <strong>{title}</strong>
        </p>
      )}
      <p class="warning">{children}</p>
      {fields.map((field) => (
        <Fragment key={field.id}>
          <label id={title ? undefined : labelId} for={field.id}>
            {field.label}
          </label>
          <div class="row">
            <input id={field.id} class="mono" readOnly value={field.value} onFocus={selectAll} />
            <CopyButton text={field.value} name={field.copyName} />
            {!title && done}
          </div>
        </Fragment>
      ))}
      {title && <div class="row">{done}</div>}
    </div>
  );
}

export interface Revocable {
  name: string;
  revokedAt: string | null;
}

/** One kind of named credential: how to list, create and revoke it, and what the page says when it does. */
export interface CredentialKind<Item extends Revocable, Created> {
  load: () => Promise<Item[]>;
  create: (name: string) => Promise<Created>;
  revoke: (item: Item) => Promise<Item>;
  idOf: (item: Item) => string;
  /** The listed credential in the answer that creates one. */
  entryOf: (created: Created) => Item;
  /** The error code for one revoked elsewhere (another admin, the CLI, another tab): the list is then reloaded to show it as it is now. */
  goneCode: string;
  text: { nameFirst: string; created: (item: Item) => string; revoked: (item: Item) => string };
}

export interface Credentials<Item extends Revocable, Created> extends Pick<Action, 'busy' | 'note'> {
  list: Loaded<Item[]>;
  name: string;
  setName: (name: string) => void;
  /** The answer that created the last credential, until Done or its revocation. */
  created: Created | null;
  dismiss: () => void;
  create: (e: Event) => void;
  revoke: (item: Item) => void;
}

export function useCredentials<Item extends Revocable, Created>(kind: CredentialKind<Item, Created>): Credentials<Item, Created> {
  const list = useLoad(kind.load, []);
  const [name, setName] = useState('');
  const [created, setCreated] = useState<Created | null>(null);
  const { busy, note, setNote, run } = useAction();
  const reloadIfGone = (error: unknown) => {
    if (error instanceof ApiError && error.code === kind.goneCode) list.reload();
  };

  const create = (e: Event) => {
    e.preventDefault();
    const wanted = name.trim();
    if (!wanted) {
      setNote({ ok: false, text: kind.text.nameFirst });
      return;
    }
    void run(async () => {
      const answer = await kind.create(wanted);
      const entry = kind.entryOf(answer);
      setCreated(answer);
      setName('');
      list.set((all) => [entry, ...all.filter((item) => kind.idOf(item) !== kind.idOf(entry))]);
      return kind.text.created(entry);
    }, reloadIfGone);
  };

  const revoke = (item: Item) =>
    void run(async () => {
      const revoked = await kind.revoke(item);
      list.set((all) => all.map((x) => (kind.idOf(x) === kind.idOf(revoked) ? revoked : x)));
      if (created && kind.idOf(kind.entryOf(created)) === kind.idOf(item)) setCreated(null);
      return kind.text.revoked(item);
    }, reloadIfGone);

  return { list, name, setName, created, dismiss: () => setCreated(null), busy, note, create, revoke };
}

/**
 * The card of a kind of named credential: the form that creates one by name (`field` is its input's id, `hint`
 * says what to name it after), what it answers, the new secret (`secret`), and the list (`table`).
 */
export function CredentialsCard<Item extends Revocable, Created>({ state, heading, field, action, placeholder, hint, secret, table }: {
  state: Credentials<Item, Created>;
  heading: [id: string, text: string];
  field: string;
  action: string;
  placeholder: string;
  hint: string;
  secret: (created: Created) => JSX.Element;
  table: (items: Item[]) => JSX.Element;
}) {
  return (
    <section class="card" aria-labelledby={heading[0]}>
      <h2 id={heading[0]}>{heading[1]}</h2>
      <form class="row toolbar" onSubmit={state.create} aria-label={action}>
        <label for={field}>Name</label>
        <input
          id={field}
          value={state.name}
          maxLength={NAME_MAX}
          autocomplete="off"
          placeholder={placeholder}
          aria-describedby={`${field}-hint`}
          onInput={(e) => state.setName((e.currentTarget as HTMLInputElement).value)}
        />
        <button type="submit" class="primary" disabled={state.busy}>
          {action}
        </button>
      </form>
      <p id={`${field}-hint`} class="muted">
        {hint}
      </p>
      <Notice note={state.note} />
      {state.created && secret(state.created)}
      {state.list.data ? table(state.list.data) : <Loading error={state.list.error} />}
    </section>
  );
}

/** A credential row's status and actions cells: Active with Revoke (after `question`), or Revoked. */
export function RevokeCells<Item extends Revocable>({ item, question, busy, onRevoke }: {
  item: Item;
  question: string;
  busy: boolean;
  onRevoke: (item: Item) => void;
}) {
  return (
    <>
      <td>
        <StatusBadge active={!item.revokedAt} inactive="Revoked" title={`Revoked ${item.revokedAt}`} />
      </td>
      <td class="actions">
        {!item.revokedAt && <ConfirmButton label="Revoke" subject={item.name} question={question} danger disabled={busy} onConfirm={() => onRevoke(item)} />}
      </td>
    </>
  );
}

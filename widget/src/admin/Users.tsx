/**
 * Users: search (debounced) by name, email or external id, paged with "Load more", and per account its role,
 * deactivate / reactivate and delete. Rows are replaced by the account the server answers with, so what is
 * shown is what the server did.
 */
import { useEffect, useState } from 'preact/hooks';
import type { User } from '../../../shared/src/api.js';
import type { AdminApi, AdminUser, CreatedVia, Role } from './api.js';
import { CreateUser } from './CreateUser.js';
import { errorText } from './errors.js';
import { ConfirmButton, Loading, Notice, Time, useLoad, type Note } from './ui.js';

const VIA = new Map<CreatedVia, string>([
  ['external_token', 'External token'],
  ['owner_link', 'Owner link'],
  ['admin', 'Admin panel'],
  ['api', 'API'],
]);
const ROLES: [Role, string][] = [
  ['member', 'Member'],
  ['admin', 'Admin'],
  ['owner', 'Owner'],
];
const SEARCH_DELAY_MS = 250;

const label = (u: AdminUser) => u.name ?? u.email ?? u.externalId ?? u.id;

export function UsersPage({ api, me }: { api: AdminApi; me: User }) {
  const [text, setText] = useState('');
  const [q, setQ] = useState('');
  useEffect(() => {
    const timer = setTimeout(() => setQ(text.trim()), SEARCH_DELAY_MS);
    return () => clearTimeout(timer);
  }, [text]);
  const list = useLoad(() => api.users({ q }), [q]);
  const [note, setNote] = useState<Note>(null);
  const [busy, setBusy] = useState<string | null>(null);

  const replace = (user: AdminUser) => list.set((page) => ({ ...page, users: page.users.map((u) => (u.id === user.id ? user : u)) }));
  const act = async (key: string, action: () => Promise<string>, onError?: () => void) => {
    setBusy(key);
    setNote(null);
    try {
      setNote({ ok: true, text: await action() });
    } catch (error) {
      onError?.();
      setNote({ ok: false, text: errorText(error) });
    } finally {
      setBusy(null);
    }
  };
  const loadMore = (cursor: string) =>
    act('more', async () => {
      const page = await api.users({ q, cursor });
      list.set((current) => {
        const known = new Set(current.users.map((u) => u.id));
        return { users: [...current.users, ...page.users.filter((u) => !known.has(u.id))], nextCursor: page.nextCursor, total: page.total };
      });
      return '';
    });

  const row = (u: AdminUser) => {
    const self = u.id === me.id;
    const name = label(u);
    // Only an owner makes or unmakes owners; the server enforces it, the panel does not offer it.
    const roleLocked = self || (me.role !== 'owner' && u.role === 'owner');
    return (
      <tr key={u.id} data-user-id={u.id} class={u.active ? '' : 'inactive'}>
        <th scope="row">
          {u.name ?? <span class="muted">—</span>}
          {self && <span class="muted"> (you)</span>}
        </th>
        <td>{u.email ?? <span class="muted">—</span>}</td>
        <td class="mono">{u.externalId ?? <span class="muted">—</span>}</td>
        <td>{VIA.get(u.createdVia) ?? u.createdVia}</td>
        <td>
          <Time iso={u.createdAt} />
        </td>
        <td>
          <Time iso={u.lastSeenAt} none="Never" />
        </td>
        <td>
          <select
            aria-label={`Role of ${name}`}
            value={u.role}
            disabled={roleLocked || busy !== null}
            onChange={(e) => {
              const select = e.currentTarget as HTMLSelectElement;
              const role = select.value as Role;
              void act(
                u.id,
                async () => {
                  const user = await api.setRole(u.id, role);
                  replace(user);
                  return `${name} is now ${role === 'member' ? 'a member' : `an ${role}`}.`;
                },
                () => (select.value = u.role),
              );
            }}
          >
            {ROLES.map(([value, text]) => (
              <option key={value} value={value} disabled={value === 'owner' && me.role !== 'owner'}>
                {text}
              </option>
            ))}
          </select>
        </td>
        <td>{u.active ? <span class="badge on">Active</span> : <span class="badge off">Deactivated</span>}</td>
        <td class="actions">
          {!self &&
            (u.active ? (
              <button
                type="button"
                aria-label={`Deactivate ${name}`}
                disabled={busy !== null}
                onClick={() =>
                  void act(u.id, async () => {
                    replace(await api.deactivateUser(u.id));
                    return `${name} is deactivated: the seat is free and every session of the account has ended.`;
                  })
                }
              >
                Deactivate
              </button>
            ) : (
              <button
                type="button"
                aria-label={`Reactivate ${name}`}
                disabled={busy !== null}
                onClick={() =>
                  void act(u.id, async () => {
                    replace(await api.reactivateUser(u.id));
                    return `${name} is active again.`;
                  })
                }
              >
                Reactivate
              </button>
            ))}
          {!self && ' '}
          {!self && (
            <ConfirmButton
              label="Delete"
              name={`Delete ${name}`}
              question={`Delete ${name}? The account is removed; its messages are kept, anonymised.`}
              danger
              disabled={busy !== null}
              onConfirm={() =>
                void act(u.id, async () => {
                  await api.deleteUser(u.id);
                  list.set((page) => ({ ...page, users: page.users.filter((x) => x.id !== u.id), total: page.total - 1 }));
                  return `${name} is deleted. Their messages are kept, shown as from a deleted user.`;
                })
              }
            />
          )}
        </td>
      </tr>
    );
  };

  return (
    <>
      <CreateUser
        api={api}
        onCreated={(user) => list.set((page) => ({ ...page, users: [user, ...page.users.filter((u) => u.id !== user.id)], total: page.total + 1 }))}
      />
      <div class="row toolbar">
        <label for="user-search">Search</label>
        <input
          id="user-search"
          type="search"
          placeholder="Name, email or external ID"
          value={text}
          onInput={(e) => setText((e.currentTarget as HTMLInputElement).value)}
        />
        {list.data && (
          <span role="status" class="muted" data-testid="user-total">
            {list.data.total} total
          </span>
        )}
      </div>
      <Notice note={note?.text ? note : null} />
      {list.data && list.error && (
        <p role="alert" class="notice error">
          {list.error}
        </p>
      )}
      {!list.data ? (
        <Loading error={list.error} />
      ) : list.data.users.length === 0 ? (
        <p class="muted empty">{q ? `No users match “${q}”.` : 'No users yet.'}</p>
      ) : (
        <div class="scroll">
          <table class="users">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Email</th>
                <th scope="col">External ID</th>
                <th scope="col">Created via</th>
                <th scope="col">Created</th>
                <th scope="col">Last seen</th>
                <th scope="col">Role</th>
                <th scope="col">Status</th>
                <th scope="col">
                  <span class="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>{list.data.users.map(row)}</tbody>
          </table>
        </div>
      )}
      {list.data?.nextCursor && (
        <button type="button" class="more" disabled={busy !== null} onClick={() => void loadMore(list.data!.nextCursor!)}>
          Load more
        </button>
      )}
    </>
  );
}

/**
 * Users: search (debounced) by name, email or external id, paged with "Load more", and per account its role,
 * deactivate / reactivate and delete. Rows are replaced by the account the server answers with, so what is
 * shown is what the server did.
 */
import { useEffect, useState } from 'preact/hooks';
import type { User } from '#shared/api.js';
import type { AdminApi, AdminUser, CreatedVia, Role } from './api.js';
import { CreateUser } from './CreateUser.js';
import { Alert, appendNew, ConfirmButton, DataTable, LoadMore, Loading, Notice, StatusBadge, TimeCell, useAction, useLoad } from './ui.js';

const VIA = new Map<CreatedVia, string>([
  ['external_token', 'External token'],
  ['owner_link', 'Owner link'],
  ['admin', 'Admin panel'],
  ['api', 'API'],
  ['email', 'Email sign-in'],
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
  const { busy, note, run: act } = useAction();

  const replace = (user: AdminUser) => list.set((page) => ({ ...page, users: page.users.map((u) => (u.id === user.id ? user : u)) }));
  const loadMore = (cursor: string) =>
    act(async () => {
      const page = await api.users({ q, cursor });
      list.set((current) => ({ users: appendNew(current.users, page.users), nextCursor: page.nextCursor, total: page.total }));
      return '';
    });

  const row = (u: AdminUser) => {
    const self = u.id === me.id;
    const name = label(u);
    // Only an owner makes or unmakes owners; the server enforces it, the panel does not offer it.
    const roleLocked = self || (me.role !== 'owner' && u.role === 'owner');
    const activation = u.active ? 'Deactivate' : 'Reactivate';
    return (
      <tr key={u.id} data-user-id={u.id} class={u.active ? '' : 'inactive'}>
        <th scope="row">
          {u.name ?? <span class="muted">—</span>}
          {self && <span class="muted"> (you)</span>}
        </th>
        <td>{u.email ?? <span class="muted">—</span>}</td>
        <td class="mono">{u.externalId ?? <span class="muted">—</span>}</td>
        <td>{VIA.get(u.createdVia) ?? u.createdVia}</td>
        <TimeCell iso={u.createdAt} />
        <TimeCell iso={u.lastSeenAt} none="Never" />
        <td>
          <select
            aria-label={`Role of ${name}`}
            value={u.role}
            disabled={roleLocked || busy}
            onChange={(e) => {
              const select = e.currentTarget as HTMLSelectElement;
              const role = select.value as Role;
              void act(
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
        <td>
          <StatusBadge active={u.active} inactive="Deactivated" />
        </td>
        {/* What a signed `{ id }` payload names (docs/external-auth.md). */}
        <td class="mono">{u.id}</td>
        <td class="actions">
          {/* All the account's data, for a data-subject request (docs/admin-api.md, Exports). */}
          <a href={`/api/v1/admin/users/${encodeURIComponent(u.id)}/export`} download={`user-${u.id}.json`} aria-label={`Export data of ${name}`}>
            Export data
          </a>{' '}
          {!self && (
            <button
              type="button"
              aria-label={`${activation} ${name}`}
              disabled={busy}
              onClick={() =>
                void act(async () => {
                  replace(await (u.active ? api.deactivateUser(u.id) : api.reactivateUser(u.id)));
                  return u.active ? `${name} is deactivated: the seat is free and every session of the account has ended.` : `${name} is active again.`;
                })
              }
            >
              {activation}
            </button>
          )}
          {!self && ' '}
          {!self && (
            <ConfirmButton
              label="Delete"
              subject={name}
              question={`Delete ${name}? The account is removed; its messages are kept, anonymised.`}
              danger
              disabled={busy}
              onConfirm={() =>
                void act(async () => {
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
      {list.data && <Alert text={list.error} />}
      {!list.data ? (
        <Loading error={list.error} />
      ) : (
        <DataTable
          class="users"
          label="Users"
          columns={['Name', 'Email', 'External ID', 'Created via', 'Created', 'Last seen', 'Role', 'Status', 'Parley ID']}
          actions
          rows={list.data.users}
          row={row}
          empty={<p class="muted empty">{q ? `No users match “${q}”.` : 'No users yet.'}</p>}
        />
      )}
      <LoadMore cursor={list.data?.nextCursor} busy={busy} onLoad={(cursor) => void loadMore(cursor)} />
    </>
  );
}

/** The "Create user" form of the users page: an account made by an administrator takes a seat at once. */
import { useState } from 'preact/hooks';
import type { AdminApi, AdminUser, NewUser } from './api.js';
import { Notice, useAction } from './ui.js';

const EMPTY = { name: '', email: '', externalId: '', role: 'member' as NonNullable<NewUser['role']> };

export function CreateUser({ api, onCreated }: { api: AdminApi; onCreated: (user: AdminUser) => void }) {
  const [form, setForm] = useState(EMPTY);
  const { busy, note, run } = useAction();
  const field = (name: 'name' | 'email' | 'externalId') => ({
    id: `new-user-${name}`,
    value: form[name],
    onInput: (e: Event) => setForm({ ...form, [name]: (e.currentTarget as HTMLInputElement).value }),
  });
  const submit = (e: Event) => {
    e.preventDefault();
    const body: NewUser = { role: form.role };
    // Empty fields are left out rather than sent as "" (an email of "" is not "no email").
    if (form.name.trim()) body.name = form.name.trim();
    if (form.email.trim()) body.email = form.email.trim();
    if (form.externalId.trim()) body.externalId = form.externalId.trim();
    void run(async () => {
      const user = await api.createUser(body);
      setForm(EMPTY);
      onCreated(user);
      return `Created ${user.name ?? user.email ?? user.externalId ?? user.id}.`;
    });
  };
  return (
    <details class="card create">
      <summary>Create user</summary>
      <form onSubmit={submit} aria-label="Create user">
        <div class="fields">
          <label for="new-user-name">Name</label>
          <input {...field('name')} autocomplete="off" />
          <label for="new-user-email">Email</label>
          <input {...field('email')} type="email" autocomplete="off" />
          <label for="new-user-externalId">External ID</label>
          <input {...field('externalId')} autocomplete="off" />
          <label for="new-user-role">Role</label>
          <select id="new-user-role" value={form.role} onChange={(e) => setForm({ ...form, role: (e.currentTarget as HTMLSelectElement).value as typeof form.role })}>
            <option value="member">Member</option>
            <option value="admin">Admin</option>
          </select>
        </div>
        <p class="muted">The account takes a seat at once. It signs in with a token naming its external ID (as user.id), its Parley user id or its email.</p>
        <button type="submit" class="primary" disabled={busy}>
          Create user
        </button>
        <Notice note={note} />
      </form>
    </details>
  );
}

/**
 * API keys: the keys scripts send as `X-API-KEY` to call the admin API (docs/admin-api.md). Listed with who
 * created them and when they were last used; created with a name (the key is shown once, in this page's
 * state only, so leaving the page forgets it); revoked after a confirmation, which stops it at once.
 */
import { useState } from 'preact/hooks';
import type { User } from '../../../shared/src/api.js';
import { ApiError } from '../api/client.js';
import type { AdminApi, AdminApiKey, CreatedApiKey } from './api.js';
import { errorText } from './errors.js';
import { ConfirmButton, CopyButton, Loading, Notice, Time, useLoad, type Note } from './ui.js';

const NAME_MAX = 100;

export function ApiKeysPage({ api, me }: { api: AdminApi; me: User }) {
  const list = useLoad(() => api.apiKeys(), []);
  const [name, setName] = useState('');
  const [created, setCreated] = useState<CreatedApiKey | null>(null);
  const [note, setNote] = useState<Note>(null);
  const [busy, setBusy] = useState(false);

  const run = async (action: () => Promise<string>) => {
    setBusy(true);
    setNote(null);
    try {
      setNote({ ok: true, text: await action() });
    } catch (error) {
      // A key revoked elsewhere (another admin, another tab): show the list as it is now.
      if (error instanceof ApiError && error.code === 'api_key_not_found') list.reload();
      setNote({ ok: false, text: errorText(error) });
    } finally {
      setBusy(false);
    }
  };

  const create = (e: Event) => {
    e.preventDefault();
    const wanted = name.trim();
    if (!wanted) {
      setNote({ ok: false, text: 'Name the key first, for example after the script or service that will use it.' });
      return;
    }
    void run(async () => {
      const answer = await api.createApiKey(wanted);
      setCreated(answer);
      setName('');
      list.set((keys) => [answer.apiKey, ...keys.filter((k) => k.id !== answer.apiKey.id)]);
      return `API key “${answer.apiKey.name}” created.`;
    });
  };

  const revoke = (key: AdminApiKey) =>
    void run(async () => {
      const revoked = await api.revokeApiKey(key.id);
      list.set((keys) => keys.map((k) => (k.id === revoked.id ? revoked : k)));
      if (created?.apiKey.id === key.id) setCreated(null);
      return `API key “${key.name}” revoked: requests with it are refused from now on.`;
    });

  return (
    <>
      <section class="card" aria-labelledby="api-keys-about">
        <h2 id="api-keys-about">Calling the admin API from scripts</h2>
        <p>
          Send the key in the <code>X-API-KEY</code> header of requests to <code>/api/v1/admin/…</code> (reference at <a href="/docs">/docs</a>). A
          key acts with the rights of the owner or admin who created it, for as long as that account is an active owner or admin. The audit log
          names the key and its creator for every change it makes.
        </p>
      </section>

      <section class="card" aria-labelledby="api-keys-heading">
        <h2 id="api-keys-heading">API keys</h2>
        <form class="row toolbar" onSubmit={create} aria-label="Create API key">
          <label for="api-key-name">Name</label>
          <input
            id="api-key-name"
            value={name}
            maxLength={NAME_MAX}
            autocomplete="off"
            placeholder="deploy bot"
            aria-describedby="api-key-name-hint"
            onInput={(e) => setName((e.currentTarget as HTMLInputElement).value)}
          />
          <button type="submit" class="primary" disabled={busy}>
            Create API key
          </button>
        </form>
        <p id="api-key-name-hint" class="muted">
          Name it after what will use it, so the list and the audit log say who did what.
        </p>
        <Notice note={note} />
        {created && (
          <div class="secret" role="group" aria-labelledby="api-key-label">
            <p class="warning">
              Copy this key now: it will not be shown again. Whoever has it can act as you in the admin API, so keep it in your script’s secret
              store, never in code or chat.
            </p>
            <label id="api-key-label" for="new-api-key">
              API key “{created.apiKey.name}”
            </label>
            <div class="row">
              <input id="new-api-key" class="mono" readOnly value={created.key} onFocus={(e) => (e.currentTarget as HTMLInputElement).select()} />
              <CopyButton text={created.key} name="Copy the API key" />
              <button type="button" onClick={() => setCreated(null)}>
                Done
              </button>
            </div>
          </div>
        )}
        {list.data ? <KeyTable keys={list.data} me={me} busy={busy} onRevoke={revoke} /> : <Loading error={list.error} />}
      </section>
    </>
  );
}

function KeyTable({ keys, me, busy, onRevoke }: { keys: AdminApiKey[]; me: User; busy: boolean; onRevoke: (key: AdminApiKey) => void }) {
  if (keys.length === 0) return <p class="muted empty">No API keys yet.</p>;
  return (
    <div class="scroll">
      <table>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Created</th>
            <th scope="col">Created by</th>
            <th scope="col">Last used</th>
            <th scope="col">Status</th>
            <th scope="col">
              <span class="sr-only">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {keys.map((k) => (
            <tr key={k.id} data-api-key-id={k.id} class={k.revokedAt ? 'inactive' : ''}>
              <th scope="row">{k.name}</th>
              <td>
                <Time iso={k.createdAt} />
              </td>
              <td>
                {k.createdBy.label ?? <span class="muted">Deleted account</span>}
                {k.createdBy.id === me.id && <span class="muted"> (you)</span>}
              </td>
              <td>
                <Time iso={k.lastUsedAt} none="Never" />
              </td>
              <td>
                {k.revokedAt ? (
                  <span class="badge off" title={`Revoked ${k.revokedAt}`}>
                    Revoked
                  </span>
                ) : (
                  <span class="badge on">Active</span>
                )}
              </td>
              <td class="actions">
                {!k.revokedAt && (
                  <ConfirmButton
                    label="Revoke"
                    name={`Revoke ${k.name}`}
                    question={`Revoke “${k.name}”? Scripts using it are refused at once.`}
                    danger
                    disabled={busy}
                    onConfirm={() => onRevoke(k)}
                  />
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

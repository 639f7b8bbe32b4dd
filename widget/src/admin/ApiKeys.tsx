/**
 * API keys: the keys scripts send as `X-API-KEY` to call the admin API (docs/admin-api.md). Listed with who
 * created them and when they were last used; created with a name (the key is shown once, in this page's
 * state only, so leaving the page forgets it); revoked after a confirmation, which stops it at once.
 */
import type { User } from '#shared/api.js';
import type { AdminApi, AdminApiKey, CreatedApiKey } from './api.js';
import { CredentialsCard, RevokeCells, SecretPanel, useCredentials } from './credentials.js';
import { DataTable, TimeCell } from './ui.js';

export function ApiKeysPage({ api, me }: { api: AdminApi; me: User }) {
  const keys = useCredentials<AdminApiKey, CreatedApiKey>({
    load: () => api.apiKeys(),
    create: (name) => api.createApiKey(name),
    revoke: (key) => api.revokeApiKey(key.id),
    idOf: (key) => key.id,
    entryOf: (created) => created.apiKey,
    goneCode: 'api_key_not_found',
    text: {
      nameFirst: 'Name the key first, for example after the script or service that will use it.',
      created: (key) => `API key “${key.name}” created.`,
      revoked: (key) => `API key “${key.name}” revoked: requests with it are refused from now on.`,
    },
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

      <CredentialsCard
        state={keys}
        heading={['api-keys-heading', 'API keys']}
        field="api-key-name"
        action="Create API key"
        placeholder="deploy bot"
        hint="Name it after what will use it, so the list and the audit log say who did what."
        secret={(created) => (
          <SecretPanel
            labelId="api-key-label"
            fields={[{ id: 'new-api-key', label: `API key “${created.apiKey.name}”`, value: created.key, copyName: 'Copy the API key' }]}
            onDone={keys.dismiss}
          >
            Copy this key now: it will not be shown again. Whoever has it can act as you in the admin API, so keep it in your script’s secret store,
            never in code or chat.
          </SecretPanel>
        )}
        table={(list) => (
          <DataTable
            label="API keys"
            columns={['Name', 'Created', 'Created by', 'Last used', 'Status']}
            actions
            rows={list}
            empty={<p class="muted empty">No API keys yet.</p>}
            row={(k) => (
              <tr key={k.id} data-api-key-id={k.id} class={k.revokedAt ? 'inactive' : ''}>
                <th scope="row">{k.name}</th>
                <TimeCell iso={k.createdAt} />
                <td>
                  {k.createdBy.label ?? <span class="muted">Deleted account</span>}
                  {k.createdBy.id === me.id && <span class="muted"> (you)</span>}
                </td>
                <TimeCell iso={k.lastUsedAt} none="Never" />
                <RevokeCells item={k} question={`Revoke “${k.name}”? Scripts using it are refused at once.`} busy={keys.busy} onRevoke={keys.revoke} />
              </tr>
            )}
          />
        )}
      />
    </>
  );
}

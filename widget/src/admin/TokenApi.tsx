/**
 * Token API credentials (PRODUCT.md §6): the apiKey / authToken pairs an integrator's backend sends as
 * `x-api-key` / `x-auth-token` to `POST /v2/auth/generate_token` (or in `data` to `POST /v1/auth/token/get`)
 * to mint a sign-in token for one of its users. Listed by name and apiKey; created with a name (the authToken
 * is shown once, in this page's state only, so leaving the page forgets it); revoked after a confirmation.
 */
import { useState } from 'preact/hooks';
import { ApiError } from '../api/client.js';
import type { AdminApi, CreatedTokenApiCredential, TokenApiCredential } from './api.js';
import { errorText } from './errors.js';
import { ConfirmButton, CopyButton, Loading, Notice, Time, useLoad, type Note } from './ui.js';

const NAME_MAX = 100;

const EXAMPLE_BODY = {
  userId: 'user-123',
  userProperties: { name: 'Ada', email: 'ada@example.com' },
  permissions: { resources: [{ type: 'document', id: 'doc-1', organizationId: 'acme', accessRole: 'editor' }] },
};

/** The curl call for this instance; the credentials come from the shell's environment, never the page. */
export function curlExample(origin: string): string {
  return [
    `curl -X POST '${origin}/v2/auth/generate_token' \\`,
    `  -H 'content-type: application/json' \\`,
    `  -H "x-api-key: $PARLEY_API_KEY" \\`,
    `  -H "x-auth-token: $PARLEY_AUTH_TOKEN" \\`,
    `  -d '${JSON.stringify(EXAMPLE_BODY)}'`,
  ].join('\n');
}

export function TokenApiPage({ api }: { api: AdminApi }) {
  const list = useLoad(() => api.apiCredentials(), []);
  const [name, setName] = useState('');
  const [created, setCreated] = useState<CreatedTokenApiCredential | null>(null);
  const [note, setNote] = useState<Note>(null);
  const [busy, setBusy] = useState(false);

  const run = async (action: () => Promise<string>) => {
    setBusy(true);
    setNote(null);
    try {
      setNote({ ok: true, text: await action() });
    } catch (error) {
      // Revoked elsewhere (another admin, the CLI, another tab): show the list as it is now.
      if (error instanceof ApiError && error.code === 'api_credential_not_found') list.reload();
      setNote({ ok: false, text: errorText(error) });
    } finally {
      setBusy(false);
    }
  };

  const create = (e: Event) => {
    e.preventDefault();
    const wanted = name.trim();
    if (!wanted) {
      setNote({ ok: false, text: 'Name the credential first, for example after the backend that will use it.' });
      return;
    }
    void run(async () => {
      const answer = await api.createApiCredential(wanted);
      setCreated(answer);
      setName('');
      list.set((all) => [answer.credential, ...all.filter((c) => c.apiKey !== answer.credential.apiKey)]);
      return `Credential “${answer.credential.name}” created.`;
    });
  };

  const revoke = (credential: TokenApiCredential) =>
    void run(async () => {
      const revoked = await api.revokeApiCredential(credential.apiKey);
      list.set((all) => all.map((c) => (c.apiKey === revoked.apiKey ? revoked : c)));
      if (created?.apiKey === credential.apiKey) setCreated(null);
      return `Credential “${credential.name}” revoked: token requests with it are refused from now on.`;
    });

  const example = curlExample(location.origin);

  return (
    <>
      <section class="card" aria-labelledby="token-api-about">
        <h2 id="token-api-about">Minting sign-in tokens from your backend</h2>
        <p>
          Your backend sends a credential’s apiKey in the <code>x-api-key</code> header and its authToken in <code>x-auth-token</code> to{' '}
          <code>POST /v2/auth/generate_token</code> (or both in <code>data</code> to <code>POST /v1/auth/token/get</code>), and gets a sign-in
          token for one of its users. Keep the authToken on the server: never in a page, an app or a URL.
        </p>
      </section>

      <section class="card" aria-labelledby="token-api-heading">
        <h2 id="token-api-heading">Credentials</h2>
        <form class="row toolbar" onSubmit={create} aria-label="Create credential">
          <label for="credential-name">Name</label>
          <input
            id="credential-name"
            value={name}
            maxLength={NAME_MAX}
            autocomplete="off"
            placeholder="web backend"
            aria-describedby="credential-name-hint"
            onInput={(e) => setName((e.currentTarget as HTMLInputElement).value)}
          />
          <button type="submit" class="primary" disabled={busy}>
            Create credential
          </button>
        </form>
        <p id="credential-name-hint" class="muted">
          Name it after the backend or service that will use it.
        </p>
        <Notice note={note} />
        {created && (
          <div class="secret" role="group" aria-labelledby="new-credential-heading">
            <p id="new-credential-heading">
              <strong>Credential “{created.credential.name}”</strong>
            </p>
            <p class="warning">
              Copy the authToken now: it will not be shown again. Whoever has both values can sign in as any of your users, so keep them in your
              backend’s secret store, never in code or chat.
            </p>
            <label for="new-credential-api-key">apiKey (x-api-key)</label>
            <div class="row">
              <input
                id="new-credential-api-key"
                class="mono"
                readOnly
                value={created.apiKey}
                onFocus={(e) => (e.currentTarget as HTMLInputElement).select()}
              />
              <CopyButton text={created.apiKey} name="Copy the apiKey" />
            </div>
            <label for="new-credential-auth-token">authToken (x-auth-token)</label>
            <div class="row">
              <input
                id="new-credential-auth-token"
                class="mono"
                readOnly
                value={created.authToken}
                onFocus={(e) => (e.currentTarget as HTMLInputElement).select()}
              />
              <CopyButton text={created.authToken} name="Copy the authToken" />
            </div>
            <div class="row">
              <button type="button" onClick={() => setCreated(null)}>
                Done
              </button>
            </div>
          </div>
        )}
        {list.data ? <CredentialTable credentials={list.data} busy={busy} onRevoke={revoke} /> : <Loading error={list.error} />}
      </section>

      <section class="card example" aria-labelledby="token-api-example">
        <h2 id="token-api-example">Example</h2>
        <p class="muted">
          With the credential in <code>PARLEY_API_KEY</code> and <code>PARLEY_AUTH_TOKEN</code>, your backend asks for a token for user-123, an
          editor of document doc-1:
        </p>
        <pre tabIndex={0} data-testid="token-api-curl">
          <code>{example}</code>
        </pre>
        <CopyButton text={example} name="Copy the example" />
        <p>
          The answer’s <code>result.data.token</code> signs that user in: put it in the widget’s <code>data-external-auth-code</code> attribute or
          pass it to <code>Parley.identify(user, {'{ authToken }'})</code>.
        </p>
      </section>
    </>
  );
}

function CredentialTable({ credentials, busy, onRevoke }: { credentials: TokenApiCredential[]; busy: boolean; onRevoke: (c: TokenApiCredential) => void }) {
  if (credentials.length === 0) return <p class="muted empty">No credentials yet.</p>;
  return (
    <div class="scroll">
      <table>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">apiKey</th>
            <th scope="col">Created</th>
            <th scope="col">Last used</th>
            <th scope="col">Status</th>
            <th scope="col">
              <span class="sr-only">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {credentials.map((c) => (
            <tr key={c.apiKey} data-api-key={c.apiKey} class={c.revokedAt ? 'inactive' : ''}>
              <th scope="row">{c.name}</th>
              <td>
                <code>{c.apiKey}</code>
              </td>
              <td>
                <Time iso={c.createdAt} />
              </td>
              <td>
                <Time iso={c.lastUsedAt} none="Never" />
              </td>
              <td>
                {c.revokedAt ? (
                  <span class="badge off" title={`Revoked ${c.revokedAt}`}>
                    Revoked
                  </span>
                ) : (
                  <span class="badge on">Active</span>
                )}
              </td>
              <td class="actions">
                {!c.revokedAt && (
                  <ConfirmButton
                    label="Revoke"
                    name={`Revoke ${c.name}`}
                    question={`Revoke “${c.name}”? Token requests with it are refused at once; tokens already minted stay valid until they expire.`}
                    danger
                    disabled={busy}
                    onConfirm={() => onRevoke(c)}
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

/**
 * Token API credentials (docs/token-api.md, Credentials): the apiKey / authToken pairs an integrator's
 * backend sends as `x-api-key` / `x-auth-token` to `POST /v2/auth/generate_token` (or in `data` to
 * `POST /v1/auth/token/get`) to mint a sign-in token for one of its users. Listed by name and apiKey; created
 * with a name (the authToken is shown once, in this page's state only, so leaving the page forgets it);
 * revoked after a confirmation.
 */
import type { AdminApi, CreatedTokenApiCredential, TokenApiCredential } from './api.js';
import { CredentialsCard, RevokeCells, SecretPanel, useCredentials } from './credentials.js';
import { CopyButton, DataTable, TimeCell } from './ui.js';

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
  const credentials = useCredentials<TokenApiCredential, CreatedTokenApiCredential>({
    load: () => api.apiCredentials(),
    create: (name) => api.createApiCredential(name),
    revoke: (credential) => api.revokeApiCredential(credential.apiKey),
    idOf: (credential) => credential.apiKey,
    entryOf: (created) => created.credential,
    goneCode: 'api_credential_not_found',
    text: {
      nameFirst: 'Name the credential first, for example after the backend that will use it.',
      created: (credential) => `Credential “${credential.name}” created.`,
      revoked: (credential) => `Credential “${credential.name}” revoked: token requests with it are refused from now on.`,
    },
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

      <CredentialsCard
        state={credentials}
        heading={['token-api-heading', 'Credentials']}
        field="credential-name"
        action="Create credential"
        placeholder="web backend"
        hint="Name it after the backend or service that will use it."
        secret={(created) => (
          <SecretPanel
            labelId="new-credential-heading"
            title={`Credential “${created.credential.name}”`}
            fields={[
              { id: 'new-credential-api-key', label: 'apiKey (x-api-key)', value: created.apiKey, copyName: 'Copy the apiKey' },
              { id: 'new-credential-auth-token', label: 'authToken (x-auth-token)', value: created.authToken, copyName: 'Copy the authToken' },
            ]}
            onDone={credentials.dismiss}
          >
            Copy the authToken now: it will not be shown again. Whoever has both values can sign in as any of your users, so keep them in your
            backend’s secret store, never in code or chat.
          </SecretPanel>
        )}
        table={(list) => (
          <DataTable
            label="Token API credentials"
            columns={['Name', 'apiKey', 'Created', 'Last used', 'Status']}
            actions
            rows={list}
            empty={<p class="muted empty">No credentials yet.</p>}
            row={(c) => (
              <tr key={c.apiKey} data-api-key={c.apiKey} class={c.revokedAt ? 'inactive' : ''}>
                <th scope="row">{c.name}</th>
                <td>
                  <code>{c.apiKey}</code>
                </td>
                <TimeCell iso={c.createdAt} />
                <TimeCell iso={c.lastUsedAt} none="Never" />
                <RevokeCells
                  item={c}
                  question={`Revoke “${c.name}”? Token requests with it are refused at once; tokens already minted stay valid until they expire.`}
                  busy={credentials.busy}
                  onRevoke={credentials.revoke}
                />
              </tr>
            )}
          />
        )}
      />

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

/**
 * External auth: the on/off switch, the signing keys (create, with the secret shown once; retire), and
 * signing examples for the chosen key. The new secret lives only in this page's state, so leaving the page
 * is what forgets it.
 */
import { useState } from 'preact/hooks';
import type { AdminApi, ExampleLanguage, SigningKey } from './api.js';
import { SecretPanel } from './credentials.js';
import { ConfirmButton, CopyButton, DataTable, Loading, lockedText, Notice, StatusBadge, TimeCell, useAction, useLoad } from './ui.js';

const LANGUAGES: [ExampleLanguage, string][] = [
  ['node', 'Node'],
  ['python', 'Python'],
  ['php', 'PHP'],
  ['go', 'Go'],
];

const SOURCES = new Map([
  ['environment', 'Environment'],
  ['database', 'Database'],
]);

function Examples({ api, kid }: { api: AdminApi; kid: string }) {
  const { data, error } = useLoad(() => api.keyExamples(kid), [kid]);
  const [lang, setLang] = useState<ExampleLanguage>('node');
  const index = LANGUAGES.findIndex(([l]) => l === lang);
  // Arrow keys move between tabs (WAI-ARIA tabs pattern, automatic activation).
  const onKeyDown = (e: KeyboardEvent) => {
    const step = e.key === 'ArrowRight' ? 1 : e.key === 'ArrowLeft' ? -1 : 0;
    const to = e.key === 'Home' ? 0 : e.key === 'End' ? LANGUAGES.length - 1 : step ? (index + step + LANGUAGES.length) % LANGUAGES.length : -1;
    if (to < 0) return;
    e.preventDefault();
    setLang(LANGUAGES[to]![0]);
    ((e.currentTarget as HTMLElement).parentElement?.children[to] as HTMLElement | undefined)?.focus();
  };
  return (
    <section class="card" aria-labelledby="examples-heading">
      <h2 id="examples-heading">Signing examples for {kid}</h2>
      <p class="muted">
        Each program reads the secret from the <code>PARLEY_SECRET</code> environment variable, signs a token for this key and prints a sign-in
        link.
      </p>
      <div role="tablist" aria-label="Language">
        {LANGUAGES.map(([l, label]) => (
          <button type="button" role="tab" id={`tab-${l}`} aria-selected={l === lang} aria-controls="example-panel" tabIndex={l === lang ? 0 : -1} onClick={() => setLang(l)} onKeyDown={onKeyDown} key={l}>
            {label}
          </button>
        ))}
      </div>
      <div role="tabpanel" id="example-panel" aria-labelledby={`tab-${lang}`} class="example">
        {data ? (
          <>
            <pre tabIndex={0}>
              <code>{data[lang]}</code>
            </pre>
            <CopyButton text={data[lang]} name={`Copy the ${LANGUAGES[index]![1]} example`} />
          </>
        ) : (
          <Loading error={error} />
        )}
      </div>
    </section>
  );
}

export function ExternalAuthPage({ api }: { api: AdminApi }) {
  const keys = useLoad(() => api.keys(), []);
  const settings = useLoad(() => api.settings(), []);
  const [created, setCreated] = useState<{ kid: string; secret: string } | null>(null);
  const [chosen, setChosen] = useState<string | null>(null);
  const { busy, note, run } = useAction();

  if (!keys.data || !settings.data) return <Loading error={keys.error ?? settings.error} />;
  const setting = settings.data.find((s) => s.name === 'externalAuthEnabled');
  const enabled = setting ? setting.value === true : keys.data.enabled;
  const active = keys.data.keys.filter((k) => !k.retiredAt);
  const shown = chosen && active.some((k) => k.kid === chosen) ? chosen : (active[0]?.kid ?? null);

  const toggle = (on: boolean) =>
    run(async () => {
      // Shown at once; put back from the server if refused.
      settings.set((list) => list.map((s) => (s.name === 'externalAuthEnabled' ? { ...s, value: on } : s)));
      const next = await api.updateSettings({ externalAuthEnabled: on }).catch((error: unknown) => {
        settings.reload();
        throw error;
      });
      settings.set(() => next);
      return on ? 'External auth is on.' : 'External auth is off.';
    });
  const create = () =>
    run(async () => {
      const key = await api.createKey();
      setCreated(key);
      setChosen(key.kid);
      keys.reload();
      return `Key ${key.kid} created.`;
    });
  const retire = (kid: string) =>
    run(async () => {
      const key = await api.retireKey(kid);
      keys.set((list) => ({ ...list, keys: list.keys.map((k) => (k.kid === kid ? key : k)) }));
      if (created?.kid === kid) setCreated(null);
      return `Key ${kid} retired.`;
    });

  return (
    <>
      <section class="card" aria-labelledby="switch-heading">
        <h2 id="switch-heading">Sign-in with signed tokens</h2>
        <p class="switch">
          <input
            type="checkbox"
            role="switch"
            id="external-auth-enabled"
            checked={enabled}
            disabled={busy || setting?.locked === true}
            aria-describedby={setting?.locked ? 'external-auth-locked' : undefined}
            onChange={(e) => void toggle((e.currentTarget as HTMLInputElement).checked)}
          />{' '}
          <label for="external-auth-enabled">External auth enabled</label>
        </p>
        {setting?.locked && (
          <p id="external-auth-locked" class="muted">
            {lockedText(setting)}
          </p>
        )}
        {enabled && active.length === 0 && <p class="warning">External auth is on, but no key is active: create one to sign tokens.</p>}
      </section>

      <section class="card" aria-labelledby="keys-heading">
        <div class="row">
          <h2 id="keys-heading">Keys</h2>
          <button type="button" class="primary" disabled={busy} onClick={() => void create()}>
            Create key
          </button>
        </div>
        <Notice note={note} />
        {created && (
          <SecretPanel
            labelId="secret-label"
            fields={[{ id: 'new-secret', label: `Secret of key ${created.kid}`, value: created.secret, copyName: 'Copy the secret' }]}
            onDone={() => setCreated(null)}
          >
            Copy this secret now: it will not be shown again. Keep it on your server only, for example in the <code>PARLEY_SECRET</code> environment
            variable the examples below read.
          </SecretPanel>
        )}
        <KeyTable keys={keys.data.keys} shown={shown} busy={busy} onShow={setChosen} onRetire={(kid) => void retire(kid)} />
      </section>

      {shown && <Examples api={api} kid={shown} />}
    </>
  );
}

function KeyTable({ keys, shown, busy, onShow, onRetire }: { keys: SigningKey[]; shown: string | null; busy: boolean; onShow: (kid: string) => void; onRetire: (kid: string) => void }) {
  return (
    <DataTable
      label="Signing keys"
      columns={['Key ID', 'Algorithm', 'Source', 'Created', 'Last used', 'Status']}
      actions
      rows={keys}
      empty={<p class="muted">No keys yet.</p>}
      row={(k) => (
        <tr key={k.kid} data-kid={k.kid}>
          <th scope="row" class="mono">
            {k.kid}
          </th>
          <td>{k.alg}</td>
          <td>{SOURCES.get(k.source) ?? k.source}</td>
          <TimeCell iso={k.createdAt} />
          <TimeCell iso={k.lastUsedAt} none="Never" />
          <td>
            <StatusBadge active={!k.retiredAt} inactive="Retired" />
          </td>
          <td class="actions">
            {!k.retiredAt && (
              <button type="button" aria-pressed={shown === k.kid} aria-label={`Examples for ${k.kid}`} onClick={() => onShow(k.kid)}>
                Examples
              </button>
            )}
            {!k.retiredAt && k.source !== 'environment' && ' '}
            {!k.retiredAt && k.source !== 'environment' && (
              <ConfirmButton label="Retire" subject={k.kid} question={`Retire ${k.kid}? Tokens signed with it stop working.`} danger disabled={busy} onConfirm={() => onRetire(k.kid)} />
            )}
          </td>
        </tr>
      )}
    />
  );
}

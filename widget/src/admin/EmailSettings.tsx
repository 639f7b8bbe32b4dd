/**
 * Settings › Email (docs/admin-api.md, Email): the SMTP server and the From address, and a test email to
 * oneself. The SMTP URL is write-only: the API answers it with the password hidden, which is shown beside an
 * empty field; sending the field empty leaves it as it is, and Remove clears it. A setting fixed by the
 * environment is shown read-only with its variable, as the other settings are.
 */
import { useId, useState } from 'preact/hooks';
import type { AdminApi, Setting, SettingsBody, SettingsPatch } from './api.js';
import { ConfirmButton, lockedText, Notice, useAction } from './ui.js';

export function EmailSettings({ api, settings, email, onSaved }: {
  api: AdminApi;
  settings: Setting[];
  email: SettingsBody['email'] | undefined;
  onSaved: (body: SettingsBody) => void;
}) {
  const smtp = settings.find((s) => s.name === 'smtpUrl');
  const from = settings.find((s) => s.name === 'mailFrom');
  const shownSmtp = typeof smtp?.value === 'string' ? smtp.value : null;
  const [smtpDraft, setSmtpDraft] = useState('');
  const [fromDraft, setFromDraft] = useState(() => (typeof from?.value === 'string' ? from.value : ''));
  const save = useAction();
  const test = useAction();
  const id = useId();
  if (!smtp || !from) return null;

  const patchWith = (patch: SettingsPatch, done: string) =>
    save.run(async () => {
      const body = await api.settingsBody(patch);
      const saved = body.settings.find((s) => s.name === 'mailFrom');
      setFromDraft(typeof saved?.value === 'string' ? saved.value : '');
      setSmtpDraft('');
      onSaved(body);
      return done;
    });
  const submit = (e: Event) => {
    e.preventDefault();
    const patch: SettingsPatch = {};
    if (!smtp.locked && smtpDraft.trim()) patch.smtpUrl = smtpDraft.trim();
    if (!from.locked && fromDraft.trim() !== (typeof from.value === 'string' ? from.value : '')) patch.mailFrom = fromDraft.trim() || null;
    if (Object.keys(patch).length === 0) return save.setNote({ ok: true, text: 'Nothing to save.' });
    void patchWith(patch, 'Saved.');
  };

  return (
    <section class="card" aria-labelledby={`${id}-email`} data-setting="email">
      <h2 id={`${id}-email`}>Email</h2>
      <p role="status" data-testid="email-state">
        {email === undefined ? null : email.enabled ? 'Email is on: notifications and sign-in emails are sent through this server.' : 'Email is off: no SMTP server is configured, so Parley sends no email.'}
      </p>
      <form onSubmit={submit}>
        <div class="fields">
          <label for={`${id}-smtp`}>SMTP URL</label>
          <input
            id={`${id}-smtp`}
            class="mono"
            type="text"
            autocomplete="off"
            value={smtp.locked ? (shownSmtp ?? '') : smtpDraft}
            readOnly={smtp.locked}
            placeholder={shownSmtp ?? 'smtp://user:password@host:587'}
            aria-describedby={`${id}-smtp-help`}
            onInput={(e) => setSmtpDraft((e.currentTarget as HTMLInputElement).value)}
          />
          <label for={`${id}-from`}>Mail From</label>
          <input
            id={`${id}-from`}
            type="text"
            value={fromDraft}
            readOnly={from.locked}
            placeholder="Acme support <support@example.com>"
            aria-describedby={`${id}-from-help`}
            onInput={(e) => setFromDraft((e.currentTarget as HTMLInputElement).value)}
          />
        </div>
        <p id={`${id}-smtp-help`} class="muted">
          {smtp.locked ? (
            <strong class="locked">{lockedText(smtp)}</strong>
          ) : (
            <>
              {shownSmtp ? (
                <>
                  Now <code data-testid="smtp-shown">{shownSmtp}</code>. Leave the field empty to keep it; the password is never shown again.
                </>
              ) : (
                'None yet: smtp:// or smtps://, with the user and password in the URL.'
              )}
            </>
          )}
        </p>
        <p id={`${id}-from-help`} class="muted">
          {from.locked ? <strong class="locked">{lockedText(from)}</strong> : 'An address, or a name and <address>. Empty: parley@ this server’s host.'}
        </p>
        <div class="row">
          {!(smtp.locked && from.locked) && (
            <button type="submit" class="primary" disabled={save.busy}>
              Save email settings
            </button>
          )}
          {!smtp.locked && shownSmtp && (
            <ConfirmButton label="Remove SMTP server" question="Remove the SMTP server? Parley then sends no email." danger disabled={save.busy} onConfirm={() => void patchWith({ smtpUrl: null }, 'SMTP server removed.')} />
          )}
        </div>
        <Notice note={save.note} />
      </form>
      <div class="row">
        <button type="button" disabled={test.busy} onClick={() => void test.run(async () => `Sent to ${await api.sendTestEmail()}.`)}>
          Send a test email
        </button>
        <Notice note={test.note} inline />
      </div>
    </section>
  );
}

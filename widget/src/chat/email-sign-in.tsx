/**
 * Email sign-in's form, for the hosted page and the widget's panel (docs/widget.md, Email sign-in): an
 * address, then "check your inbox" and the 6-digit code from the email (whose link signs in too). Errors are
 * announced through an aria-live region that is always there, so a screen reader hears each one.
 */
import { useState } from 'preact/hooks';
import type { ExchangeResponse } from '#shared/api.js';
import { ApiError, readResponse } from '../api/client.js';
import type { Strings } from './strings.js';

export interface EmailSignInProps {
  baseUrl: string;
  t: Strings;
  /** The message for an error code, in the reader's language. */
  describe: (code: string) => string;
  /** `include` on Parley's own page (the verify answer sets its cookie), `omit` in the widget. */
  credentials: RequestCredentials;
  onSignedIn: (result: ExchangeResponse) => void;
}

export function EmailSignIn({ baseUrl, t, describe, credentials, onSignedIn }: EmailSignInProps) {
  const [email, setEmail] = useState('');
  const [code, setCode] = useState('');
  const [sent, setSent] = useState(false);
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError('');
    try {
      const response = await fetch(`${baseUrl}/api/v1/auth/email/${sent ? 'verify' : 'start'}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(sent ? { email, code } : { email }),
        credentials,
      });
      const body = await readResponse(response);
      if (sent) onSignedIn(body as ExchangeResponse);
      else setSent(true);
    } catch (failure) {
      setError(describe(failure instanceof ApiError ? failure.code : 'network_error'));
    } finally {
      setBusy(false);
    }
  };
  const field = (id: string, label: string, input: object) => [
    <label for={id}>{label}</label>,
    <input id={id} required {...input} onInput={(e) => (sent ? setCode : setEmail)((e.currentTarget as HTMLInputElement).value)} />,
  ];

  return (
    <form class="email-sign-in" onSubmit={submit}>
      {sent ? (
        <>
          <p role="status">{t.emailSent}</p>
          {field('parley-code', t.codeLabel, { value: code, inputMode: 'numeric', autocomplete: 'one-time-code', pattern: '[0-9]{6}', maxLength: 6 })}
        </>
      ) : (
        field('parley-email', t.emailLabel, { value: email, type: 'email', autocomplete: 'email', maxLength: 320 })
      )}
      <button type="submit" disabled={busy}>
        {sent ? t.codeSubmit : t.emailSend}
      </button>
      {sent && (
        <button type="button" onClick={() => (setSent(false), setCode(''), setError(''))}>
          {t.emailOther}
        </button>
      )}
      <p class="error" aria-live="assertive">
        {error}
      </p>
    </form>
  );
}

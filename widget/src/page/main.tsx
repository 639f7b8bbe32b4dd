/**
 * The hosted chat page at `/`: signed in by its HttpOnly session cookie (set by the externalAuthCode
 * redirect), live through an EventSource on /api/v1/events, which resumes by Last-Event-ID by itself. When
 * the session ends (expired, or revoked elsewhere) the stream is refused and the page shows the signed-out
 * view instead of a chat that would no longer update. With email sign-in on, that view has its form. An
 * account with an address has the switch of its notification emails; `?conversation=<id>` opens that one.
 */
import { render } from 'preact';
import { useEffect, useMemo, useState } from 'preact/hooks';
import type { User } from '#shared/api.js';
import { createApiClient, endsSession } from '../api/client.js';
import { ChatView } from '../chat/ChatView.js';
import { en as t } from '../chat/strings.js';
import { eventSourceLive } from './live.js';
import { EmailSignIn } from '../chat/email-sign-in.js';
import { EmailSwitch } from './email-switch.js';
import { enErrors } from '../i18n/en.js';
import './page.css';

const api = createApiClient('', () => ({ kind: 'cookie' }));
// `/?conversation=<id>`, where a notification email's link lands: that conversation opens once the list loads.
const openId = new URLSearchParams(location.search).get('conversation');

function Page() {
  const [me, setMe] = useState<User | null | undefined>(undefined);
  // Why there is no one signed in: a deactivated account is told so.
  const [ended, setEnded] = useState<string | null>(null);
  const signedOut = (code: string) => {
    setEnded(code);
    setMe(null);
  };
  const [failed, setFailed] = useState(false);
  // Whether a visitor without a session may sign in by email (the public widget settings say so).
  const [emailSignIn, setEmailSignIn] = useState(false);
  useEffect(() => {
    fetch('/api/v1/widget/settings').then(
      (r) => r.json().then((body: { signInMethods?: string[] }) => setEmailSignIn(body.signInMethods?.includes('email') === true)),
      () => undefined,
    );
  }, []);
  const load = () => {
    setFailed(false);
    api.me().then(
      (r) => setMe(r.user),
      // Only a 401 (or a deactivated account) means "not signed in"; anything else is worth a retry.
      (e: unknown) => (endsSession(e) ? signedOut(e.code) : setFailed(true)),
    );
  };
  useEffect(load, []);
  const live = useMemo(() => eventSourceLive(api, signedOut), []);

  if (failed)
    return (
      <main class="signed-out">
        <h1>Parley</h1>
        <p role="alert">{t.errorGeneric}</p>
        <button type="button" onClick={load}>
          {t.retry}
        </button>
      </main>
    );
  if (me === undefined)
    return (
      <main class="signed-out">
        <p class="loading">{t.loading}</p>
      </main>
    );
  if (me === null)
    return (
      <main class="signed-out">
        <h1>{t.notSignedInTitle}</h1>
        {ended === 'user_deactivated' ? <p role="alert">{t.accountDeactivated}</p> : !emailSignIn && <p>{t.notSignedInBody}</p>}
        {emailSignIn && (
          <EmailSignIn
            baseUrl=""
            t={t}
            describe={(code) => ({}).hasOwnProperty.call(enErrors, code) ? enErrors[code as keyof typeof enErrors] : t.errorGeneric}
            credentials="include"
            onSignedIn={(r) => setMe(r.user)}
          />
        )}
      </main>
    );
  return (
    <div class="page">
      <header class="top">
        <h1 class="brand">Parley</h1>
        <span class="who">
          {t.signedInAs} <span data-testid="user-name">{me.name ?? me.email ?? me.externalId ?? me.id}</span>
        </span>
        {me.email && <EmailSwitch />}
        <button
          type="button"
          onClick={() => {
            api.logout().finally(() => location.reload());
          }}
        >
          {t.signOut}
        </button>
      </header>
      <main class="main">
        <ChatView api={api} me={me} live={live} t={t} openId={openId} />
      </main>
    </div>
  );
}

render(<Page />, document.getElementById('app')!);

/**
 * The hosted chat page at `/`: signed in by its HttpOnly session cookie (set by the externalAuthCode
 * redirect), live through an EventSource on /api/v1/events, which resumes by Last-Event-ID by itself. When
 * the session ends (expired, or revoked elsewhere) the stream is refused and the page shows the signed-out
 * view instead of a chat that would no longer update.
 */
import { render } from 'preact';
import { useEffect, useMemo, useState } from 'preact/hooks';
import type { User } from '../../../shared/src/api.js';
import { ApiError, createApiClient } from '../api/client.js';
import { ChatView } from '../chat/ChatView.js';
import { en as t } from '../chat/strings.js';
import { eventSourceLive } from './live.js';
import './page.css';

const api = createApiClient('', () => ({ kind: 'cookie' }));

function Page() {
  const [me, setMe] = useState<User | null | undefined>(undefined);
  const [failed, setFailed] = useState(false);
  const load = () => {
    setFailed(false);
    api.me().then(
      (r) => setMe(r.user),
      // Only a 401 means "not signed in"; anything else is a failure worth a retry.
      (e: unknown) => (e instanceof ApiError && e.status === 401 ? setMe(null) : setFailed(true)),
    );
  };
  useEffect(load, []);
  const live = useMemo(() => eventSourceLive(api, () => setMe(null)), []);

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
        <p>{t.notSignedInBody}</p>
      </main>
    );
  return (
    <div class="page">
      <header class="top">
        <h1 class="brand">Parley</h1>
        <span class="who">
          {t.signedInAs} <span data-testid="user-name">{me.name ?? me.email ?? me.externalId ?? me.id}</span>
        </span>
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
        <ChatView api={api} me={me} live={live} t={t} />
      </main>
    </div>
  );
}

render(<Page />, document.getElementById('app')!);

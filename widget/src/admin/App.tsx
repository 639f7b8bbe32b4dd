/**
 * The admin panel: who is signed in (GET /api/v1/me), the navigation, and the page the hash names. A session
 * that is missing or expired, or that belongs to a member, replaces the whole panel with a plain explanation,
 * whichever request discovers it.
 */
import type { ComponentChildren } from 'preact';
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import type { User } from '#shared/api.js';
import { EVENT } from '#shared/constants.js';
import { createAdminApi, isSessionError, type AdminApi } from './api.js';
import { endsSession } from '../api/client.js';
import { errorText } from './errors.js';
import { browserEnvironment, createAlerts } from './alerts.js';
import type { Profile } from './api.js';
import { ApiKeysPage } from './ApiKeys.js';
import { AssistantPage } from './Assistant.js';
import { AuditPage } from './Audit.js';
import { CannedRepliesPage } from './CannedReplies.js';
import { ExternalAuthPage } from './ExternalAuth.js';
import { InboxPage } from './Inbox.js';
import { useLive } from './live.js';
import { OverviewPage } from './Overview.js';
import { ProfilePage } from './Profile.js';
import { href, PAGES, parseHash, useRoute, type Route } from './route.js';
import { SettingsPage } from './Settings.js';
import { TokenApiPage } from './TokenApi.js';
import { UsersPage } from './Users.js';
import { WebhooksPage } from './Webhooks.js';

type Session =
  | { state: 'loading' }
  | { state: 'failed' }
  | { state: 'signedOut'; byUser: boolean }
  | { state: 'forbidden' }
  | { state: 'ready'; me: User };

const displayName = (u: { name: string | null; email?: string | null; externalId?: string | null; id: string }) =>
  u.name ?? u.email ?? u.externalId ?? u.id;

/** What takes the whole window instead of the panel: a message (`role` alert or status), maybe with one button. */
function Solo({ role, children, button }: { role: 'alert' | 'status'; children: ComponentChildren; button?: [label: string, onClick: () => void] }) {
  return (
    <main class="solo">
      <h1>Parley admin</h1>
      <p role={role}>{children}</p>
      {button && (
        <button type="button" onClick={button[1]}>
          {button[0]}
        </button>
      )}
    </main>
  );
}

/**
 * The number of conversations waiting for an answer, kept live: asked again at every new message or
 * conversation and every change of one (one request at a time; events during one ask once more after it).
 */
function useWaiting(api: AdminApi): number | null {
  const [waiting, setWaiting] = useState<number | null>(null);
  const asking = useRef<'idle' | 'busy' | 'again'>('idle');
  const ask = () => {
    if (asking.current !== 'idle') return void (asking.current = 'again');
    asking.current = 'busy';
    api.inboxCounts().then(
      (counts) => setWaiting(counts.waiting),
      () => undefined, // the count stays as it was; the next event asks again
    ).finally(() => {
      const again = asking.current === 'again';
      asking.current = 'idle';
      if (again) ask();
    });
  };
  useEffect(ask, [api]);
  // A conversation resolved, snoozed or reopened stops or starts waiting.
  useLive((type) => (type === EVENT.messageCreated || type === EVENT.conversationCreated || type === EVENT.conversationUpdated || type === EVENT.resync) && ask(), () => undefined);
  return waiting;
}

/**
 * The signed-in administrator's profile (GET /api/v1/admin/profile), which the Profile page changes and the
 * alerts read; an error leaves it null (no sound) and is shown on the Profile page.
 */
function useProfile(api: AdminApi) {
  const [profile, setProfile] = useState<Profile | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    api.profile().then(setProfile, (e: unknown) => setError(errorText(e)));
  }, [api]);
  return { profile, error, setProfile };
}

/** Sounds and notifications for new conversations and users' messages, on every page (alerts.ts). */
function useAlerts(profile: Profile | null) {
  const alerts = useMemo(
    () =>
      createAlerts(
        browserEnvironment(
          () => {
            const route = parseHash(location.hash);
            return route.page === 'inbox' ? route.id : null;
          },
          (id) => {
            location.hash = href('inbox', id, parseHash(location.hash).view);
          },
        ),
      ),
    [],
  );
  const sound = profile?.preferences.sound ?? false;
  useLive((type, data) => alerts.handle(type, data, sound), () => undefined);
}

/** The signed-in panel's frame: the waiting count in the tab title and beside Inbox, live. */
function Waiting({ api, title, children }: { api: AdminApi; title: string; children: (waiting: number | null) => ComponentChildren }) {
  const waiting = useWaiting(api);
  useEffect(() => {
    document.title = `${waiting ? `(${waiting}) ` : ''}${title} · Parley admin`;
  }, [waiting, title]);
  return <>{children(waiting)}</>;
}

function Body({ route, api, me, profile }: { route: Route; api: AdminApi; me: User; profile: ReturnType<typeof useProfile> }) {
  switch (route.page) {
    case 'overview':
      return <OverviewPage api={api} />;
    case 'external-auth':
      return <ExternalAuthPage api={api} />;
    case 'users':
      return <UsersPage api={api} me={me} />;
    case 'settings':
      return <SettingsPage api={api} />;
    case 'api-keys':
      return <ApiKeysPage api={api} me={me} />;
    case 'token-api':
      return <TokenApiPage api={api} />;
    case 'inbox':
      return <InboxPage api={api} me={me} openId={route.id} view={route.view} />;
    case 'webhooks':
      return <WebhooksPage api={api} />;
    case 'canned-replies':
      return <CannedRepliesPage api={api} />;
    case 'assistant':
      return <AssistantPage api={api} id={route.id} />;
    case 'profile':
      return <ProfilePage api={api} profile={profile.profile} error={profile.error} onProfile={profile.setProfile} />;
    case 'audit':
      return <AuditPage api={api} />;
  }
}

/** The signed-in panel: the frame, the page, and the alerts that follow the profile. */
function SignedIn({ api, me, route, onName }: { api: AdminApi; me: User; route: Route; onName: (name: string | null) => void }) {
  const profile = useProfile(api);
  useAlerts(profile.profile);
  // The bar's "Signed in as" follows a renamed profile.
  const name = profile.profile?.name;
  useEffect(() => {
    if (name !== undefined) onName(name);
  }, [name]);
  return <Body route={route} api={api} me={me} profile={profile} />;
}

export function App() {
  const [session, setSession] = useState<Session>({ state: 'loading' });
  const api = useMemo(
    () => createAdminApi((error) => setSession(endsSession(error) ? { state: 'signedOut', byUser: false } : { state: 'forbidden' })),
    [],
  );
  const route = useRoute();
  const heading = useRef<HTMLHeadingElement>(null);
  const shownPage = useRef<string | null>(null);
  // Below 768 px the sections are behind a Menu button (admin.css); choosing one closes it again.
  const [menuOpen, setMenuOpen] = useState(false);
  const [profileName, setProfileName] = useState<string | null>(null);
  const menuButton = useRef<HTMLButtonElement>(null);
  useEffect(() => setMenuOpen(false), [route.page, route.id]);
  const title = PAGES.find(([name]) => name === route.page)![1];

  const load = () => {
    setSession({ state: 'loading' });
    api.me().then(
      ({ user }) => setSession(user.role === 'member' ? { state: 'forbidden' } : { state: 'ready', me: user }),
      (error: unknown) => !isSessionError(error) && setSession({ state: 'failed' }),
    );
  };
  useEffect(load, [api]);

  const ready = session.state === 'ready';
  useEffect(() => {
    if (!ready) return;
    // Moving between pages moves focus to the new page's heading, as a page load would; not on first load.
    if (shownPage.current !== null && shownPage.current !== route.page) heading.current?.focus();
    shownPage.current = route.page;
  }, [ready, route.page, title]);

  const signOut = () => {
    // Signed out either way: a failed logout leaves a session the user no longer wants to use here.
    api.logout().catch(() => {}).finally(() => setSession({ state: 'signedOut', byUser: true }));
  };

  if (session.state === 'loading') return <p class="muted solo">Loading…</p>;
  if (session.state === 'failed')
    return (
      <Solo role="alert" button={['Try again', load]}>
        Parley could not be reached. Check the connection and try again.
      </Solo>
    );
  if (session.state === 'signedOut')
    return (
      <Solo role="status">
        {session.byUser ? 'You have signed out. To sign in again, use' : 'You are not signed in. Use'} the one-time link from the server log, or{' '}
        <code>npm run parley -- admin sign-in-link --email …</code>.
      </Solo>
    );
  if (session.state === 'forbidden')
    return (
      <Solo role="alert" button={['Sign out', signOut]}>
        Administrators only.
      </Solo>
    );

  const { me } = session;
  return (
    <Waiting api={api} title={title}>
      {(waiting) => (
        <div class="admin">
          <header class="bar">
            <a class="brand" href={href('overview')}>
              Parley admin
            </a>
            <button type="button" class="menu" ref={menuButton} aria-expanded={menuOpen} aria-controls="admin-sections" onClick={() => setMenuOpen((open) => !open)}>
              Menu
            </button>
            <span class="who">
              Signed in as <strong data-testid="admin-name">{displayName({ ...me, name: profileName ?? me.name })}</strong>
            </span>
            <button type="button" onClick={signOut}>
              Sign out
            </button>
          </header>
          <nav
            id="admin-sections"
            class={menuOpen ? 'side open' : 'side'}
            aria-label="Admin sections"
            onKeyDown={(e) => {
              if (e.key === 'Escape' && menuOpen) {
                setMenuOpen(false);
                menuButton.current?.focus();
              }
            }}
          >
            <ul>
              {PAGES.map(([name, label]) => (
                <li key={name}>
                  <a href={href(name)} aria-current={route.page === name ? 'page' : undefined}>
                    {label}
                    {name === 'inbox' && waiting ? (
                      <span class="count" data-testid="waiting">
                        {' '}
                        <span aria-hidden="true">{waiting}</span>
                        <span class="sr-only">({waiting} waiting for an answer)</span>
                      </span>
                    ) : null}
                  </a>
                </li>
              ))}
            </ul>
          </nav>
          <main class={`content ${route.page}`}>
            <h1 ref={heading} tabIndex={-1}>
              {title}
            </h1>
            <SignedIn api={api} me={me} route={route} onName={setProfileName} />
          </main>
        </div>
      )}
    </Waiting>
  );
}

/**
 * The signed-in administrator's profile: the display name and avatar shown on their messages, and their
 * alerts: a sound on new conversations and messages (saved with the profile, so it follows them between
 * browsers), browser notifications, whose permission is asked for only when they press the button, and the
 * emails about conversations waiting for an answer while the team is away (on until turned off).
 */
import { useId, useState } from 'preact/hooks';
import type { AdminApi, Profile, ProfilePatch } from './api.js';
import { previewChime, type NotificationApi } from './alerts.js';
import { errorText } from './errors.js';
import { Loading, Notice, useAction } from './ui.js';

const PERMISSION_TEXT: Record<NotificationPermission | 'unsupported', string> = {
  granted: 'Allowed: new conversations and messages show a notification while you are not looking at them.',
  denied: 'Blocked in this browser. Allow notifications for this site in the browser’s settings to get them.',
  default: 'Not allowed yet.',
  unsupported: 'This browser cannot show notifications.',
};

/** The browser's notification permission, and the button that asks for it (from a click, never on load). */
function NotificationSetting({ notifications }: { notifications: NotificationApi | undefined }) {
  const [permission, setPermission] = useState<NotificationPermission | 'unsupported'>(() => notifications?.permission ?? 'unsupported');
  const ask = async () => {
    if (!notifications) return;
    const N = notifications as unknown as { requestPermission(): Promise<NotificationPermission> };
    try {
      setPermission(await N.requestPermission());
    } catch {
      setPermission(notifications.permission);
    }
  };
  return (
    <div class="setting">
      <h3 id="notifications-heading">Browser notifications</h3>
      <p role="status" data-testid="notification-permission">
        {PERMISSION_TEXT[permission]}
      </p>
      {permission === 'default' && (
        <button type="button" onClick={() => void ask()}>
          Allow browser notifications
        </button>
      )}
    </div>
  );
}

export function ProfilePage({ api, profile, error, onProfile, notifications = (globalThis as { Notification?: NotificationApi }).Notification }: {
  api: AdminApi;
  profile: Profile | null;
  error: string | null;
  onProfile: (profile: Profile) => void;
  notifications?: NotificationApi | undefined;
}) {
  if (!profile) return <Loading error={error} />;
  return <ProfileForms key={profile.id} api={api} profile={profile} onProfile={onProfile} notifications={notifications} />;
}

function ProfileForms({ api, profile, onProfile, notifications }: { api: AdminApi; profile: Profile; onProfile: (profile: Profile) => void; notifications: NotificationApi | undefined }) {
  const [name, setName] = useState(profile.name ?? '');
  const [avatarUrl, setAvatarUrl] = useState(profile.avatarUrl ?? '');
  const [soundNote, setSoundNote] = useState<{ ok: boolean; text: string } | null>(null);
  const emails = useAction();
  const save = useAction();
  const id = useId();

  const submit = () =>
    save.run(async () => {
      const patch: ProfilePatch = {};
      if (name.trim() !== (profile.name ?? '')) patch.name = name.trim();
      if (avatarUrl.trim() !== (profile.avatarUrl ?? '')) patch.avatarUrl = avatarUrl.trim() === '' ? null : avatarUrl.trim();
      if (Object.keys(patch).length === 0) return 'Nothing to save.';
      onProfile(await api.updateProfile(patch));
      return 'Profile saved.';
    });
  const setSound = async (sound: boolean) => {
    setSoundNote(null);
    if (sound) previewChime();
    try {
      onProfile(await api.updateProfile({ sound }));
      setSoundNote({ ok: true, text: sound ? 'Sound on.' : 'Sound off.' });
    } catch (e) {
      setSoundNote({ ok: false, text: errorText(e) });
    }
  };

  return (
    <>
      <section class="card" aria-labelledby={`${id}-who`}>
        <h2 id={`${id}-who`}>How the team and users see you</h2>
        <form
          onSubmit={(e) => {
            e.preventDefault();
            void submit();
          }}
        >
          <div class="fields">
            <label for={`${id}-name`}>Display name</label>
            <input id={`${id}-name`} value={name} maxLength={100} autocomplete="name" onInput={(e) => setName((e.currentTarget as HTMLInputElement).value)} />
            <label for={`${id}-avatar`}>Avatar URL</label>
            <input id={`${id}-avatar`} type="url" value={avatarUrl} placeholder="https://…" aria-describedby={`${id}-avatar-hint`} onInput={(e) => setAvatarUrl((e.currentTarget as HTMLInputElement).value)} />
          </div>
          <p id={`${id}-avatar-hint`} class="muted">
            An https address of an image; leave it empty for none.
          </p>
          <div class="row">
            <button type="submit" class="primary" disabled={save.busy}>
              Save profile
            </button>
            <Notice note={save.note} inline />
          </div>
        </form>
      </section>
      <section class="card" aria-labelledby={`${id}-alerts`}>
        <h2 id={`${id}-alerts`}>Alerts</h2>
        <div class="setting">
          <label class="switch">
            <input type="checkbox" checked={profile.preferences.sound} onChange={(e) => void setSound((e.currentTarget as HTMLInputElement).checked)} />
            Sound on new conversations and messages
          </label>
          <Notice note={soundNote} />
        </div>
        <NotificationSetting notifications={notifications} />
        <div class="setting">
          <label class="switch">
            <input
              type="checkbox"
              checked={profile.preferences.agentEmails}
              disabled={emails.busy}
              onChange={(e) => {
                const on = (e.currentTarget as HTMLInputElement).checked;
                void emails.run(async () => {
                  onProfile(await api.updateProfile({ agentEmails: on }));
                  return on ? 'You will be emailed about conversations waiting for an answer.' : 'No more emails about waiting conversations.';
                });
              }}
            />
            Email me about conversations waiting for an answer
          </label>
          <p class="muted">While nobody of the team is online, to {profile.email ?? 'your address (your account has none yet)'}.</p>
          <Notice note={emails.note} />
        </div>
      </section>
    </>
  );
}

/**
 * The hosted page's switch for the user's own notification emails (`GET`/`PATCH /api/v1/me/email`): when the
 * team answers and the user has not read it, Parley emails them. Shown only to an account with an address,
 * once the server has said where it stands; a failed change puts the switch back and says why.
 */
import { useEffect, useState } from 'preact/hooks';
import { readResponse } from '../api/client.js';

const LABEL = 'Email me replies I miss';
const FAILED = 'Your email setting could not be changed. Try again.';

async function call(method: 'GET' | 'PATCH', body?: { emailNotifications: boolean }): Promise<boolean> {
  const response = await fetch('/api/v1/me/email', {
    method,
    credentials: 'same-origin',
    headers: body ? { accept: 'application/json', 'content-type': 'application/json' } : { accept: 'application/json' },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  return ((await readResponse(response)) as { emailNotifications: boolean }).emailNotifications;
}

export function EmailSwitch() {
  const [on, setOn] = useState<boolean | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    call('GET').then(setOn, () => undefined); // no switch rather than a wrong one
  }, []);
  if (on === null) return null;
  const change = (wanted: boolean) => {
    setBusy(true);
    setError(null);
    setOn(wanted);
    call('PATCH', { emailNotifications: wanted }).then(setOn, () => {
      setOn(!wanted);
      setError(FAILED);
    }).finally(() => setBusy(false));
  };
  return (
    <span class="email-switch">
      <label>
        <input type="checkbox" checked={on} disabled={busy} onChange={(e) => change((e.currentTarget as HTMLInputElement).checked)} /> {LABEL}
      </label>
      <span role="alert">{error}</span>
    </span>
  );
}

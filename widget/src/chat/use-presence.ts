/** Whether the team is online (`GET /api/v1/presence`), as the chat's home and thread head say it. */
import { useEffect, useState } from 'preact/hooks';
import type { ApiClient } from '../api/client.js';

/** How often an open view asks whether the team is online. */
export const PRESENCE_POLL_MS = 60_000;

/**
 * Whether the team is online (null until known, or when the API cannot say): asked when `shown` becomes true
 * and every PRESENCE_POLL_MS while it stays so; never while hidden.
 */
export function usePresence(api: ApiClient, shown: boolean): boolean | null {
  const [online, setOnline] = useState<boolean | null>(null);
  useEffect(() => {
    if (!shown || !api.presence) return;
    let alive = true;
    const ask = () => api.presence!().then((p) => alive && setOnline(p.online), () => undefined);
    void ask();
    const timer = setInterval(ask, PRESENCE_POLL_MS);
    return () => {
      alive = false;
      clearInterval(timer);
    };
  }, [api, shown]);
  return online;
}

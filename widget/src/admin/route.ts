/**
 * Hash routing for the panel (`#/users`, `#/inbox/<conversationId>`, ...): the server serves one shell at
 * `/admin`, so every page is a fragment and the browser's back button works without any server route.
 */
import { useEffect, useState } from 'preact/hooks';

export const PAGES = [
  ['overview', 'Overview'],
  ['external-auth', 'External auth'],
  ['users', 'Users'],
  ['settings', 'Settings'],
  ['api-keys', 'API keys'],
  ['token-api', 'Token API'],
  ['inbox', 'Inbox'],
  ['audit', 'Audit log'],
] as const;

export type PageName = (typeof PAGES)[number][0];
export interface Route {
  page: PageName;
  /** The second segment, decoded (`#/inbox/<id>`). */
  id: string | null;
}

const names: ReadonlyMap<string, PageName> = new Map(PAGES.map(([name]) => [name, name]));

export function parseHash(hash: string): Route {
  const [page = '', id] = hash.replace(/^#\/?/, '').split('/');
  let decoded: string | null = null;
  try {
    decoded = id ? decodeURIComponent(id) : null;
  } catch {
    // A malformed escape is no id at all.
  }
  return { page: names.get(page) ?? 'overview', id: decoded };
}

export const href = (page: PageName, id?: string) => `#/${page}${id ? `/${encodeURIComponent(id)}` : ''}`;

/** The current route, following `hashchange`. */
export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseHash(location.hash));
  useEffect(() => {
    const update = () => setRoute(parseHash(location.hash));
    addEventListener('hashchange', update);
    return () => removeEventListener('hashchange', update);
  }, []);
  return route;
}

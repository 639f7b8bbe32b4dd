/**
 * Hash routing for the panel (`#/users`, `#/inbox/<conversationId>`, `#/inbox?view=mine`, ...): the server
 * serves one shell at `/admin`, so every page is a fragment and the browser's back button works without any
 * server route. The inbox's view rides in the fragment's query, so a reload keeps it.
 */
import { useEffect, useState } from 'preact/hooks';
import type { InboxView } from '#shared/admin-api.js';

export const PAGES = [
  ['overview', 'Overview'],
  ['external-auth', 'External auth'],
  ['users', 'Users'],
  ['settings', 'Settings'],
  ['api-keys', 'API keys'],
  ['token-api', 'Token API'],
  ['webhooks', 'Webhooks'],
  ['inbox', 'Inbox'],
  ['canned-replies', 'Canned replies'],
  ['assistant', 'Assistant'],
  ['audit', 'Audit log'],
  ['profile', 'Profile'],
] as const;

export type PageName = (typeof PAGES)[number][0];
export interface Route {
  page: PageName;
  /** The second segment, decoded (`#/inbox/<id>`). */
  id: string | null;
  /** The inbox's view (`?view=`), or null for its default. */
  view: InboxView | null;
}

const names: ReadonlyMap<string, PageName> = new Map(PAGES.map(([name]) => [name, name]));
/** The inbox's views in the order the inbox lists them, with their names (a Record, so none is missing). */
export const VIEW_LABELS: Readonly<Record<InboxView, string>> = {
  unassigned: 'Unassigned',
  mine: 'Mine',
  open: 'Open',
  snoozed: 'Snoozed',
  resolved: 'Resolved',
  all: 'All',
};
export const VIEWS = Object.keys(VIEW_LABELS) as InboxView[];
const views: ReadonlyMap<string, InboxView> = new Map(VIEWS.map((view) => [view, view]));

export function parseHash(hash: string): Route {
  const [path = '', search = ''] = hash.replace(/^#\/?/, '').split('?');
  const [page = '', id] = path.split('/');
  let decoded: string | null = null;
  try {
    decoded = id ? decodeURIComponent(id) : null;
  } catch {
    // A malformed escape is no id at all.
  }
  const view = views.get(new URLSearchParams(search).get('view') ?? '') ?? null;
  return { page: names.get(page) ?? 'overview', id: decoded, view };
}

export const href = (page: PageName, id?: string | null, view?: InboxView | null) =>
  `#/${page}${id ? `/${encodeURIComponent(id)}` : ''}${view ? `?view=${view}` : ''}`;

/** The current route, following `hashchange`. */
export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseHash(location.hash));
  useEffect(() => {
    const update = () =>
      setRoute((shown) => {
        const next = parseHash(location.hash);
        return JSON.stringify(next) === JSON.stringify(shown) ? shown : next;
      });
    addEventListener('hashchange', update);
    // The hash may have changed between the first render and this effect, with no one listening yet.
    update();
    return () => removeEventListener('hashchange', update);
  }, []);
  return route;
}

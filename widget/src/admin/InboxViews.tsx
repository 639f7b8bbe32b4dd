/**
 * The inbox's left column: its views (Unassigned, Mine, Open, Snoozed, Resolved, All) as links, each with
 * how many conversations it holds, the current one marked; and the search box, whose text is searched once
 * typing pauses (clearing it returns to the view).
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import type { InboxView } from '#shared/admin-api.js';
import type { InboxViewCounts } from './api.js';
import { href, VIEW_LABELS, VIEWS } from './route.js';

export const SEARCH_DELAY_MS = 300;

export function InboxViews({ view, counts, openId }: { view: InboxView; counts: InboxViewCounts | null; openId: string | null }) {
  return (
    <nav class="views" aria-label="Inbox views">
      <ul>
        {VIEWS.map((name) => (
          <li key={name}>
            <a href={href('inbox', openId, name)} aria-current={name === view ? 'page' : undefined} data-view={name}>
              <span class="view-name">{VIEW_LABELS[name]}</span>
              {counts && (
                <span class="view-count" data-testid={`count-${name}`}>
                  <span class="sr-only">: </span>
                  {counts[name]}
                </span>
              )}
            </a>
          </li>
        ))}
      </ul>
    </nav>
  );
}

/** The search field; `onSearch` gets the trimmed text once typing has paused, '' when cleared. */
export function InboxSearch({ onSearch, delayMs = SEARCH_DELAY_MS }: { onSearch: (q: string) => void; delayMs?: number }) {
  const [value, setValue] = useState('');
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const latest = useRef(onSearch);
  latest.current = onSearch;
  useEffect(() => () => clearTimeout(timer.current), []);
  const schedule = (text: string, now = false) => {
    clearTimeout(timer.current);
    if (now || text.trim() === '') latest.current(text.trim());
    else timer.current = setTimeout(() => latest.current(text.trim()), delayMs);
  };
  return (
    <form
      class="search"
      role="search"
      onSubmit={(e) => {
        e.preventDefault();
        schedule(value, true);
      }}
    >
      <input
        type="search"
        aria-label="Search conversations"
        placeholder="Search conversations"
        value={value}
        maxLength={200}
        onInput={(e) => {
          const text = (e.currentTarget as HTMLInputElement).value;
          setValue(text);
          schedule(text);
        }}
        onKeyDown={(e) => {
          if (e.key === 'Escape' && value !== '') {
            e.preventDefault();
            setValue('');
            schedule('', true);
          }
        }}
      />
    </form>
  );
}

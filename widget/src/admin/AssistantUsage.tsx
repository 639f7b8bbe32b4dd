/**
 * One assistant's usage on one UTC day (docs/assistant.md, Limits): its replies and tokens per user and per
 * organization, most tokens first, as the usage endpoint answers them. The first answer is the server's
 * today (UTC), so the day shown never depends on this browser's clock or time zone; the picker, or Previous
 * and Next day, asks for another (none after the server's today).
 */
import { useId, useRef, useState } from 'preact/hooks';
import type { AdminApi, AssistantUsage } from './api.js';
import { DataTable, Loading, useLoad } from './ui.js';

const DAY = /^\d{4}-\d{2}-\d{2}$/;
const count = (n: number) => n.toLocaleString('en-US');
/** The UTC day `by` days after `day` (both `YYYY-MM-DD`): date arithmetic only, no clock. */
const dayAfter = (day: string, by: number) => new Date(Date.parse(`${day}T00:00:00Z`) + by * 86_400_000).toISOString().slice(0, 10);
const plural = (n: number, one: string, many: string) => `${count(n)} ${n === 1 ? one : many}`;

/** What the status line says of a day: nothing used, or its totals (every reply counts for one user). */
function summary(usage: AssistantUsage): string {
  if (usage.users.length === 0 && usage.organizations.length === 0) return `No replies on ${usage.day}.`;
  const replies = usage.users.reduce((n, u) => n + u.messages, 0);
  const tokens = usage.users.reduce((n, u) => n + u.tokens, 0);
  return `${usage.day}: ${plural(replies, 'reply', 'replies')}, ${plural(tokens, 'token', 'tokens')}, for ${plural(usage.users.length, 'user', 'users')}.`;
}

export function AssistantUsageView({ api, assistantId }: { api: AdminApi; assistantId: string }) {
  // undefined: the server's today.
  const [day, setDay] = useState<string | undefined>(undefined);
  const usage = useLoad<AssistantUsage>(() => api.assistantUsage(assistantId, day), [api, assistantId, day]);
  const id = useId();
  // The server's today, from its first answer: no later day can have usage.
  const today = useRef<string | undefined>(undefined);
  if (day === undefined && usage.data) today.current = usage.data.day;
  const shown = usage.data && (day === undefined || usage.data.day === day) ? usage.data : undefined;
  const current = day ?? usage.data?.day;
  return (
    <section class="card usage" aria-labelledby={`${id}-usage`}>
      <h2 id={`${id}-usage`}>Usage</h2>
      <div class="row">
        <label for={`${id}-day`}>Day (UTC)</label>
        <input
          id={`${id}-day`}
          type="date"
          value={current ?? ''}
          max={today.current}
          onChange={(e) => {
            const value = (e.currentTarget as HTMLInputElement).value;
            if (DAY.test(value)) setDay(value);
          }}
        />
        <button type="button" disabled={!current} onClick={() => current && setDay(dayAfter(current, -1))}>
          Previous day
        </button>
        <button type="button" disabled={!current || current === today.current} onClick={() => current && setDay(dayAfter(current, 1))}>
          Next day
        </button>
      </div>
      <p role="status" class="muted" data-testid="usage-said">
        {shown ? summary(shown) : null}
      </p>
      {!shown ? (
        <Loading error={usage.error} />
      ) : shown.users.length === 0 && shown.organizations.length === 0 ? null : (
        <>
          <h3>Per user</h3>
          <DataTable
            class="usage-users"
            label={`Usage per user on ${shown.day}`}
            columns={['Name', 'Email', 'Messages', 'Tokens']}
            rows={shown.users}
            empty={<p class="muted empty">No user got a reply on this day.</p>}
            row={(u) => (
              <tr key={u.userId} data-user-id={u.userId}>
                <th scope="row">{u.name ?? <span class="mono">{u.userId}</span>}</th>
                <td>{u.email ?? <span class="muted">—</span>}</td>
                <td class="num">{count(u.messages)}</td>
                <td class="num">{count(u.tokens)}</td>
              </tr>
            )}
          />
          <h3>Per organization</h3>
          <DataTable
            class="usage-organizations"
            label={`Usage per organization on ${shown.day}`}
            columns={['Organization', 'Messages', 'Tokens']}
            rows={shown.organizations}
            empty={<p class="muted empty">No organization got a reply on this day.</p>}
            row={(o) => (
              <tr key={o.organizationId} data-organization-id={o.organizationId}>
                <th scope="row">
                  {o.name && o.name !== o.organizationId ? (
                    <>
                      {o.name} <span class="muted mono">{o.organizationId}</span>
                    </>
                  ) : (
                    <span class="mono">{o.organizationId}</span>
                  )}
                </th>
                <td class="num">{count(o.messages)}</td>
                <td class="num">{count(o.tokens)}</td>
              </tr>
            )}
          />
        </>
      )}
    </section>
  );
}

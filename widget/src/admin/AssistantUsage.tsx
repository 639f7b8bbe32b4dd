/**
 * One assistant's usage on one UTC day (docs/assistant.md, Limits): its replies and tokens per user and per
 * organization, most tokens first, as the usage endpoint answers them. The first answer is the server's
 * today (UTC), so the day shown never depends on this browser's clock or time zone; the picker asks for
 * another.
 */
import { useId, useRef, useState } from 'preact/hooks';
import type { AdminApi, AssistantUsage } from './api.js';
import { DataTable, Loading, useLoad } from './ui.js';

const DAY = /^\d{4}-\d{2}-\d{2}$/;
const count = (n: number) => n.toLocaleString('en-US');

export function AssistantUsageView({ api, assistantId }: { api: AdminApi; assistantId: string }) {
  // undefined: the server's today.
  const [day, setDay] = useState<string | undefined>(undefined);
  const usage = useLoad<AssistantUsage>(() => api.assistantUsage(assistantId, day), [api, assistantId, day]);
  const id = useId();
  // The server's today, from its first answer: no later day can have usage.
  const today = useRef<string | undefined>(undefined);
  if (day === undefined && usage.data) today.current = usage.data.day;
  const shown = usage.data && (day === undefined || usage.data.day === day) ? usage.data : undefined;
  return (
    <section class="card usage" aria-labelledby={`${id}-usage`}>
      <h2 id={`${id}-usage`}>Usage</h2>
      <div class="row">
        <label for={`${id}-day`}>Day (UTC)</label>
        <input
          id={`${id}-day`}
          type="date"
          value={day ?? usage.data?.day ?? ''}
          max={today.current}
          onChange={(e) => {
            const value = (e.currentTarget as HTMLInputElement).value;
            if (DAY.test(value)) setDay(value);
          }}
        />
      </div>
      <p role="status" class="muted" data-testid="usage-said">
        {shown ? (shown.users.length === 0 && shown.organizations.length === 0 ? `No replies on ${shown.day}.` : `Usage on ${shown.day}.`) : null}
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

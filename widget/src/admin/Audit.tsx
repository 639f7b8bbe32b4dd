/** The audit log: administrative actions and sign-in attempts, newest first, filtered by kind, paged. */
import { useState } from 'preact/hooks';
import type { AdminApi, AuditKind } from './api.js';
import { errorText } from './errors.js';
import { Loading, Time, useLoad } from './ui.js';

const KINDS = new Map([
  ['admin', 'Administrative action'],
  ['sign_in', 'Sign-in'],
]);

export function AuditPage({ api }: { api: AdminApi }) {
  const [kind, setKind] = useState<AuditKind | ''>('');
  const log = useLoad(() => api.audit({ kind }), [kind]);
  const [more, setMore] = useState<{ busy: boolean; error: string | null }>({ busy: false, error: null });
  const loadMore = async (cursor: string) => {
    setMore({ busy: true, error: null });
    try {
      const page = await api.audit({ kind, cursor });
      log.set((current) => {
        const known = new Set(current.entries.map((e) => e.id));
        return { entries: [...current.entries, ...page.entries.filter((e) => !known.has(e.id))], nextCursor: page.nextCursor };
      });
      setMore({ busy: false, error: null });
    } catch (error) {
      setMore({ busy: false, error: errorText(error) });
    }
  };
  return (
    <>
      <div class="row toolbar">
        <label for="audit-kind">Kind</label>
        <select id="audit-kind" value={kind} onChange={(e) => setKind((e.currentTarget as HTMLSelectElement).value as AuditKind | '')}>
          <option value="">All</option>
          <option value="admin">Administrative actions</option>
          <option value="sign_in">Sign-ins</option>
        </select>
      </div>
      {!log.data ? (
        <Loading error={log.error} />
      ) : log.data.entries.length === 0 ? (
        <p class="muted">Nothing recorded yet.</p>
      ) : (
        <div class="scroll">
          <table class="audit">
            <thead>
              <tr>
                <th scope="col">Time</th>
                <th scope="col">Kind</th>
                <th scope="col">Action</th>
                <th scope="col">Actor</th>
                <th scope="col">Outcome</th>
                <th scope="col">Origin</th>
                <th scope="col">IP</th>
              </tr>
            </thead>
            <tbody>
              {log.data.entries.map((e) => (
                <tr key={e.id} data-entry-id={e.id}>
                  <td>
                    <Time iso={e.at} />
                  </td>
                  <td>{KINDS.get(e.kind) ?? e.kind}</td>
                  <td class="mono">{e.action}</td>
                  <td>{e.actor.label ?? <span class="muted">—</span>}</td>
                  <td>
                    <span class={`badge ${e.outcome === 'ok' ? 'on' : 'off'}`}>{e.outcome}</span>
                  </td>
                  <td>{e.origin ?? <span class="muted">—</span>}</td>
                  <td class="mono">{e.ip ?? <span class="muted">—</span>}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {log.data && log.error && (
        <p role="alert" class="notice error">
          {log.error}
        </p>
      )}
      {more.error && (
        <p role="alert" class="notice error">
          {more.error}
        </p>
      )}
      {log.data?.nextCursor && (
        <button type="button" class="more" disabled={more.busy} onClick={() => void loadMore(log.data!.nextCursor!)}>
          Load more
        </button>
      )}
    </>
  );
}

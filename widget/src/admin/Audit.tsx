/** The audit log: administrative actions and sign-in attempts, newest first, filtered by kind, paged. */
import { useState } from 'preact/hooks';
import type { AdminApi, AuditKind } from './api.js';
import { errorText } from './errors.js';
import { Alert, appendNew, DataTable, LoadMore, Loading, TimeCell, useLoad } from './ui.js';

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
      log.set((current) => ({ entries: appendNew(current.entries, page.entries), nextCursor: page.nextCursor }));
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
      ) : (
        <DataTable
          class="audit"
          label="Audit log entries"
          columns={['Time', 'Kind', 'Action', 'Actor', 'Outcome', 'Origin', 'IP']}
          rows={log.data.entries}
          empty={<p class="muted">Nothing recorded yet.</p>}
          row={(e) => (
            <tr key={e.id} data-entry-id={e.id}>
              <TimeCell iso={e.at} />
              <td>{KINDS.get(e.kind) ?? e.kind}</td>
              <td class="mono">{e.action}</td>
              <td>{e.actor.label ?? <span class="muted">—</span>}</td>
              <td>
                <span class={`badge ${e.outcome === 'ok' ? 'on' : 'off'}`}>{e.outcome}</span>
              </td>
              <td>{e.origin ?? <span class="muted">—</span>}</td>
              <td class="mono">{e.ip ?? <span class="muted">—</span>}</td>
            </tr>
          )}
        />
      )}
      {log.data && <Alert text={log.error} />}
      <Alert text={more.error} />
      <LoadMore cursor={log.data?.nextCursor} busy={more.busy} onLoad={(cursor) => void loadMore(cursor)} />
    </>
  );
}

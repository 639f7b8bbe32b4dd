/**
 * One webhook endpoint's delivery log, newest first: each delivery's event type, status, tries and last
 * error, and every try's status code, duration and time; Resend sends one again from now (with the same
 * webhook-id); "Load more" follows `nextCursor`; Refresh asks for the newest page again.
 */
import { useState } from 'preact/hooks';
import type { AdminApi, DeliveryPage, WebhookDelivery } from './api.js';
import { appendNew, DataTable, LoadMore, Loading, Notice, Time, TimeCell, useAction, useLoad } from './ui.js';

const STATUS: Record<WebhookDelivery['status'], string> = { pending: 'Pending', sending: 'Sending', done: 'Delivered', failed: 'Failed' };

function Tries({ delivery }: { delivery: WebhookDelivery }) {
  if (delivery.tries.length === 0) return <span class="muted">None yet</span>;
  return (
    <ol class="tries">
      {delivery.tries.map((t, i) => (
        <li key={i}>
          <strong>{t.statusCode ?? 'no answer'}</strong> · {t.durationMs} ms · <Time iso={t.at} />
          {t.error && <span class="muted"> · {t.error}</span>}
        </li>
      ))}
    </ol>
  );
}

export function DeliveryLog({ api, endpointId }: { api: AdminApi; endpointId: string }) {
  const page = useLoad<DeliveryPage>(() => api.webhookDeliveries(endpointId), [api, endpointId]);
  const [more, setMore] = useState(false);
  const action = useAction();
  const replace = (delivery: WebhookDelivery) => page.set((p) => ({ ...p, deliveries: p.deliveries.map((d) => (d.id === delivery.id ? delivery : d)) }));
  const loadMore = (cursor: string) => {
    setMore(true);
    void action.run(async () => {
      const next = await api.webhookDeliveries(endpointId, cursor);
      page.set((p) => ({ deliveries: appendNew(p.deliveries, next.deliveries), nextCursor: next.nextCursor }));
      return '';
    }).finally(() => setMore(false));
  };
  return (
    <div class="deliveries">
      <div class="row">
        <h4>Deliveries</h4>
        <button type="button" onClick={page.reload}>
          Refresh
        </button>
      </div>
      {!page.data ? (
        <Loading error={page.error} />
      ) : (
        <>
          <DataTable
            label="Deliveries"
            columns={['Event', 'Status', 'Attempts', 'Created', 'Last error', 'Tries']}
            actions
            rows={page.data.deliveries}
            empty={<p class="muted empty">No deliveries yet.</p>}
            row={(d) => (
              <tr key={d.id} data-delivery-id={d.id}>
                <th scope="row">
                  <code>{d.type}</code>
                </th>
                <td data-testid="delivery-status">
                  {STATUS[d.status]}
                  {d.nextAttemptAt && (
                    <span class="muted">
                      {' '}
                      (next try <Time iso={d.nextAttemptAt} />)
                    </span>
                  )}
                </td>
                <td>{d.attempts}</td>
                <TimeCell iso={d.createdAt} />
                <td>{d.lastError ?? <span class="muted">—</span>}</td>
                <td>
                  <Tries delivery={d} />
                </td>
                <td class="actions">
                  <button
                    type="button"
                    aria-label={`Resend ${d.type} (${d.id})`}
                    disabled={action.busy}
                    onClick={() =>
                      void action.run(async () => {
                        replace(await api.resendDelivery(endpointId, d.id));
                        return `${d.type} sent again.`;
                      })
                    }
                  >
                    Resend
                  </button>
                </td>
              </tr>
            )}
          />
          <LoadMore cursor={page.data.nextCursor} busy={more} onLoad={loadMore} />
        </>
      )}
      <Notice note={action.note?.text ? action.note : null} />
    </div>
  );
}

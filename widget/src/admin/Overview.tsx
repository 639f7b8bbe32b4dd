/** The overview: seats used of the limit, and what happened in the last 24 hours. */
import type { AdminApi } from './api.js';
import { href } from './route.js';
import { Loading, useLoad } from './ui.js';

export function OverviewPage({ api }: { api: AdminApi }) {
  const { data, error } = useLoad(() => api.overview(), []);
  if (!data) return <Loading error={error} />;
  const { used, limit } = data.seats;
  // `ok` first, then the most frequent outcomes.
  const outcomes = Object.entries(data.last24h.signIns).sort(([a, x], [b, y]) => (a === 'ok' ? -1 : b === 'ok' ? 1 : y - x || (a < b ? -1 : 1)));
  const total = outcomes.reduce((sum, [, n]) => sum + n, 0);
  return (
    <>
      <section class="card" aria-labelledby="seats-heading">
        <h2 id="seats-heading">Seats</h2>
        <p class="figure" data-testid="seats">
          <strong>{used}</strong> of <strong>{limit}</strong> seats used
        </p>
        <meter min={0} max={Math.max(limit, 1)} value={used} high={Math.max(limit, 1) * 0.9} optimum={0} aria-label="Seats used">
          {used} of {limit}
        </meter>
        <p class="muted">
          A seat is an active account. <a href={href('users')}>Manage users</a> · <a href={href('settings')}>Change the limit</a>
        </p>
      </section>
      <section class="card" aria-labelledby="day-heading">
        <h2 id="day-heading">Last 24 hours</h2>
        <p class="figure" data-testid="accounts-created">
          <strong>{data.last24h.accountsCreated}</strong> {data.last24h.accountsCreated === 1 ? 'account' : 'accounts'} created
        </p>
        {outcomes.length === 0 ? (
          <p class="muted">No sign-in attempts.</p>
        ) : (
          <table class="compact">
            <caption>Sign-in attempts by outcome</caption>
            <thead>
              <tr>
                <th scope="col">Outcome</th>
                <th scope="col" class="num">
                  Attempts
                </th>
              </tr>
            </thead>
            <tbody>
              {outcomes.map(([code, n]) => (
                <tr key={code}>
                  <th scope="row">
                    <code>{code}</code>
                  </th>
                  <td class="num">{n}</td>
                </tr>
              ))}
            </tbody>
            <tfoot>
              <tr>
                <th scope="row">Total</th>
                <td class="num">{total}</td>
              </tr>
            </tfoot>
          </table>
        )}
      </section>
    </>
  );
}

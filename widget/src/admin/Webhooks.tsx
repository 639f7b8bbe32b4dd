/**
 * Webhooks (docs/admin-api.md, Webhooks): the organization's endpoints, each with the events it takes,
 * whether it is on, since when it fails and why Parley turned it off; a form that adds one. A new endpoint's
 * signing secret, and a rotated one, is shown once, in this page's state only, so leaving the page forgets
 * it. Each endpoint opens its delivery log (WebhookDeliveries.tsx).
 */
import { useId, useState } from 'preact/hooks';
import { WEBHOOK_EVENT_TYPES } from '#shared/webhook-fields.js';
import type { AdminApi, WebhookEndpoint } from './api.js';
import { SecretPanel } from './credentials.js';
import { ConfirmButton, Loading, Notice, StatusBadge, Time, useAction, useLoad } from './ui.js';
import { DeliveryLog } from './WebhookDeliveries.js';

/** The seven event types as checkboxes, each named by its type. */
function EventChoices({ legend, chosen, onChange }: { legend: string; chosen: ReadonlySet<string>; onChange: (chosen: Set<string>) => void }) {
  return (
    <fieldset class="events">
      <legend>{legend}</legend>
      {WEBHOOK_EVENT_TYPES.map((type) => (
        <label key={type} class="switch">
          <input
            type="checkbox"
            checked={chosen.has(type)}
            onChange={(e) => {
              const next = new Set(chosen);
              if ((e.currentTarget as HTMLInputElement).checked) next.add(type);
              else next.delete(type);
              onChange(next);
            }}
          />
          <code>{type}</code>
        </label>
      ))}
    </fieldset>
  );
}

/** The secret of `url`, shown this once. */
function Secret({ url, secret, rotated, onDone }: { url: string; secret: string; rotated: boolean; onDone: () => void }) {
  const id = useId();
  return (
    <SecretPanel labelId={`${id}-label`} fields={[{ id: `${id}-secret`, label: `Signing secret of ${url}`, value: secret, copyName: 'Copy the signing secret' }]} onDone={onDone}>
      Copy this signing secret now: you will not see it again. Your receiver verifies every request with it (webhook-signature).
      {rotated ? ' The old secret no longer signs anything: update your receiver at once.' : ''}
    </SecretPanel>
  );
}

function Endpoint({ api, endpoint, onChanged, onDeleted }: { api: AdminApi; endpoint: WebhookEndpoint; onChanged: (e: WebhookEndpoint) => void; onDeleted: (id: string) => void }) {
  const [editing, setEditing] = useState<Set<string> | null>(null);
  const [secret, setSecret] = useState<string | null>(null);
  const [log, setLog] = useState(false);
  const action = useAction();
  const id = useId();
  const update = (patch: Parameters<AdminApi['updateWebhook']>[1], done: string) =>
    action.run(async () => {
      onChanged(await api.updateWebhook(endpoint.id, patch));
      setEditing(null);
      return done;
    });
  return (
    <li class="card webhook" data-webhook-id={endpoint.id} aria-labelledby={`${id}-url`}>
      <h3 id={`${id}-url`} class="mono">
        {endpoint.url}
      </h3>
      {endpoint.description && <p>{endpoint.description}</p>}
      <p>
        <StatusBadge active={endpoint.enabled} inactive="Disabled" />{' '}
        {endpoint.failingSince && (
          <span class="warning">
            Failing since <Time iso={endpoint.failingSince} />
          </span>
        )}
      </p>
      {endpoint.disabledReason && <p class="warning">Disabled by Parley: {endpoint.disabledReason}</p>}
      {editing ? (
        <form
          aria-label={`Events of ${endpoint.url}`}
          onSubmit={(e) => {
            e.preventDefault();
            void update({ events: WEBHOOK_EVENT_TYPES.filter((t) => editing.has(t)) }, 'Events saved.');
          }}
        >
          <EventChoices legend="Events" chosen={editing} onChange={setEditing} />
          <div class="row">
            <button type="submit" class="primary" disabled={action.busy || editing.size === 0}>
              Save events
            </button>
            <button type="button" onClick={() => setEditing(null)}>
              Cancel
            </button>
          </div>
        </form>
      ) : (
        <p>
          Events: <span data-testid="webhook-events">{endpoint.events.join(', ')}</span>
        </p>
      )}
      <div class="row">
        <button type="button" disabled={action.busy} onClick={() => void update({ enabled: !endpoint.enabled }, endpoint.enabled ? 'Disabled: nothing new is sent to it.' : 'Enabled.')}>
          {endpoint.enabled ? 'Disable' : 'Enable'}
        </button>
        {!editing && (
          <button type="button" onClick={() => setEditing(new Set(endpoint.events))}>
            Edit events
          </button>
        )}
        <ConfirmButton
          label="Rotate secret"
          question="Sign with a new secret from now on?"
          disabled={action.busy}
          onConfirm={() =>
            void action.run(async () => {
              setSecret(await api.rotateWebhookSecret(endpoint.id));
              return 'Secret rotated.';
            })
          }
        />
        <ConfirmButton
          label="Delete"
          question={`Delete ${endpoint.url}? Its queued deliveries fail for good.`}
          danger
          disabled={action.busy}
          onConfirm={() =>
            void action.run(async () => {
              await api.deleteWebhook(endpoint.id);
              onDeleted(endpoint.id);
              return 'Deleted.';
            })
          }
        />
        <button type="button" aria-expanded={log} aria-controls={`${id}-log`} onClick={() => setLog((open) => !open)}>
          Delivery log
        </button>
      </div>
      <Notice note={action.note} />
      {secret && <Secret url={endpoint.url} secret={secret} rotated onDone={() => setSecret(null)} />}
      <div id={`${id}-log`}>{log && <DeliveryLog api={api} endpointId={endpoint.id} />}</div>
    </li>
  );
}

function NewEndpoint({ api, onCreated }: { api: AdminApi; onCreated: (endpoint: WebhookEndpoint) => void }) {
  const [url, setUrl] = useState('');
  const [description, setDescription] = useState('');
  const [events, setEvents] = useState<Set<string>>(() => new Set());
  const [created, setCreated] = useState<{ url: string; secret: string } | null>(null);
  const create = useAction();
  const id = useId();
  return (
    <section class="card" aria-labelledby={`${id}-new`}>
      <h2 id={`${id}-new`}>New endpoint</h2>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (events.size === 0) return create.setNote({ ok: false, text: 'Choose at least one event.' });
          void create.run(async () => {
            const answer = await api.createWebhook({
              url: url.trim(),
              events: WEBHOOK_EVENT_TYPES.filter((t) => events.has(t)),
              ...(description.trim() ? { description: description.trim() } : {}),
            });
            setCreated({ url: answer.endpoint.url, secret: answer.secret });
            onCreated(answer.endpoint);
            setUrl('');
            setDescription('');
            setEvents(new Set());
            return `Endpoint ${answer.endpoint.url} created.`;
          });
        }}
      >
        <div class="fields">
          <label for={`${id}-url`}>Endpoint URL</label>
          <input id={`${id}-url`} type="url" class="mono" value={url} required maxLength={2000} placeholder="https://example.com/parley-webhooks" onInput={(e) => setUrl((e.currentTarget as HTMLInputElement).value)} />
          <label for={`${id}-description`}>Description</label>
          <input id={`${id}-description`} value={description} maxLength={200} onInput={(e) => setDescription((e.currentTarget as HTMLInputElement).value)} />
        </div>
        <EventChoices legend="Events to send" chosen={events} onChange={setEvents} />
        <div class="row">
          <button type="submit" class="primary" disabled={create.busy}>
            Create endpoint
          </button>
        </div>
      </form>
      <Notice note={create.note} />
      {created && <Secret url={created.url} secret={created.secret} rotated={false} onDone={() => setCreated(null)} />}
    </section>
  );
}

export function WebhooksPage({ api }: { api: AdminApi }) {
  const list = useLoad(() => api.webhooks(), [api]);
  const id = useId();
  // Said here, not in the endpoint's card, which goes with the endpoint.
  const [gone, setGone] = useState<string | null>(null);
  return (
    <>
      <p class="muted">
        Parley sends a signed POST (Standard Webhooks) to each endpoint for the events it takes, retrying failures for about a day. See{' '}
        <a href="/docs">the API reference</a>.
      </p>
      <NewEndpoint api={api} onCreated={(made) => list.set((all) => [...all, made])} />
      <section class="card" aria-labelledby={`${id}-all`}>
        <h2 id={`${id}-all`}>Endpoints</h2>
        <p role="status" class="muted" data-testid="webhooks-said">
          {gone}
        </p>
        {!list.data ? (
          <Loading error={list.error} />
        ) : list.data.length === 0 ? (
          <p class="muted empty">No endpoints yet.</p>
        ) : (
          <ul class="webhooks">
            {list.data.map((endpoint) => (
              <Endpoint
                key={endpoint.id}
                api={api}
                endpoint={endpoint}
                onChanged={(changed) => list.set((all) => all.map((x) => (x.id === changed.id ? changed : x)))}
                onDeleted={(deleted) => {
                  setGone(`Deleted ${endpoint.url}.`);
                  list.set((all) => all.filter((x) => x.id !== deleted));
                }}
              />
            ))}
          </ul>
        )}
      </section>
    </>
  );
}

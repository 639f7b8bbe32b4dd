/**
 * Who the open conversation is with, beside the thread: their Parley id, external id, email, name,
 * organization, the other claims of their token as a key/value list, when they were first and last seen,
 * the page where they last opened the widget, and their other conversations as links. A disclosure, open
 * by default where it has a column of its own (1280 px and wider), closed above the messages elsewhere.
 */
import type { ComponentChildren } from 'preact';
import type { Customer } from './api.js';
import { UNTITLED } from './ConversationTitle.js';
import { href } from './route.js';
import { Time } from './ui.js';

function Row({ term, children }: { term: string; children: ComponentChildren }) {
  return (
    <>
      <dt>{term}</dt>
      <dd>{children}</dd>
    </>
  );
}

const orNone = (value: string | null) => value ?? <span class="muted">—</span>;

/**
 * The conversation's transcript as a download (docs/admin-api.md, Exports): plain links, which the panel's
 * session cookie authenticates like its other calls.
 */
function TranscriptLinks({ conversationId }: { conversationId: string }) {
  const url = (format: 'json' | 'txt') => `/api/v1/admin/conversations/${encodeURIComponent(conversationId)}/export?format=${format}`;
  return (
    <p class="transcript">
      Download transcript:{' '}
      <a href={url('json')} download={`conversation-${conversationId}.json`} aria-label="Download transcript as JSON">
        JSON
      </a>{' '}
      ·{' '}
      <a href={url('txt')} download={`conversation-${conversationId}.txt`} aria-label="Download transcript as text">
        Text
      </a>
    </p>
  );
}

export function CustomerPanel({ customer, error, open, conversationId }: { customer: Customer | null | undefined; error: string | null; open: boolean; conversationId: string }) {
  const others = customer?.conversations.filter((c) => c.id !== conversationId) ?? [];
  return (
    <details class="customer" open={open}>
      <summary>Customer</summary>
      <TranscriptLinks conversationId={conversationId} />
      {error ? (
        <p role="alert" class="notice error">
          {error}
        </p>
      ) : customer === undefined ? (
        <p class="muted">Loading…</p>
      ) : customer === null ? (
        <p class="muted">No customer: nobody has written in this conversation yet.</p>
      ) : (
        <>
          <p class="customer-name">
            {customer.avatarUrl && <img class="avatar" src={customer.avatarUrl} alt="" width={32} height={32} />}
            <strong>{customer.name ?? customer.email ?? customer.externalId ?? 'Unnamed user'}</strong>
            {!customer.active && <span class="badge off">Deactivated</span>}
          </p>
          <dl class="facts">
            <Row term="Name">{orNone(customer.name)}</Row>
            <Row term="Email">{customer.email ? <a href={`mailto:${customer.email}`}>{customer.email}</a> : orNone(null)}</Row>
            <Row term="External id">
              <code>{orNone(customer.externalId)}</code>
            </Row>
            <Row term="Parley id">
              <code>{customer.id}</code>
            </Row>
            <Row term="Organization">{customer.organizationName ?? customer.organizationId}</Row>
            <Row term="First seen">
              <Time iso={customer.firstSeenAt} />
            </Row>
            <Row term="Last seen">
              <Time iso={customer.lastSeenAt} />
            </Row>
            <Row term="Last page">{customer.lastPage ? <span class="mono">{customer.lastPage}</span> : orNone(null)}</Row>
          </dl>
          <h3>Metadata</h3>
          {customer.metadata.length === 0 ? (
            <p class="muted">No other claims.</p>
          ) : (
            <dl class="facts metadata">
              {customer.metadata.map(({ key, value }) => (
                <Row key={key} term={key}>
                  {value}
                </Row>
              ))}
            </dl>
          )}
          <h3>Other conversations</h3>
          {others.length === 0 ? (
            <p class="muted">None.</p>
          ) : (
            <ul class="others">
              {others.map((c) => (
                <li key={c.id}>
                  <a href={href('inbox', c.id)}>{c.title ?? UNTITLED}</a> <span class="muted">({c.status})</span> <Time iso={c.lastMessageAt} />
                </li>
              ))}
            </ul>
          )}
        </>
      )}
    </details>
  );
}

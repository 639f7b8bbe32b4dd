/**
 * Notification emails, as outbox rows that become emails at their time (README.md, Email):
 *
 * - `user_notification` (ordering key `notify:<userId>:<conversationId>`): a team's reply schedules one per
 *   user participant, due `notifyAfter` later, or an hour after the last email about that conversation, so
 *   that further replies within the hour join that email. At its time it emails the team's replies the user has
 *   still not read, with a one-time link into the conversation and an unsubscribe link; none: no email.
 * - `agent_notification` (ordering key `agents:<conversationId>`): a user's message schedules one, due
 *   `agentNotifyAfter` later; at its time, if the conversation is open, still waits for the team and nobody
 *   of the team is online, it emails the assignee, else every owner and admin of the organization, each
 *   unless they turned agent emails off.
 *
 * Scheduling runs inside the message's transaction; the emails are `mail` rows enqueued in a transaction by
 * the sender, so a failure anywhere is a retry and nothing is lost.
 */
import type { Kysely } from 'kysely';
import type { Config } from '../config.js';
import type { Store } from '../store/database.js';
import { changesOf } from '../store/changes.js';
import { createEmailLinkRepository } from '../store/email-links.js';
import { createInstanceSecretRepository } from '../store/instance-secrets.js';
import type { OutboxRow } from '../store/outbox.js';
import { createOutboxRepository } from '../store/outbox.js';
import { createPresenceRepository } from '../store/presence.js';
import type { Database } from '../store/schema.js';
import { inTransaction } from '../store/transaction.js';
import { createUserRepository, type UserRow } from '../store/users.js';
import { enqueueMail } from './mail.js';
import { agentNotificationMail, mailLocale, userNotificationMail } from './mail-templates.js';
import { signUnsubscribeToken, UNSUBSCRIBE_SECRET } from './unsubscribe-tokens.js';
import type { OutboxSender } from './worker.js';

export const USER_NOTIFICATION_KIND = 'user_notification';
export const AGENT_NOTIFICATION_KIND = 'agent_notification';
/** Replies within this long of the last email of a conversation join the next one. */
export const NOTIFY_SPACING_MS = 3_600_000;
export const EMAIL_OPEN_PATH = '/email/open';
/** A page of Parley's (like `/email/open`), not of its API: a person or a mail client reads what it answers. */
export const UNSUBSCRIBE_PATH = '/email/unsubscribe';

const NOTIFY_RETRY_DELAYS_MS = [30_000, 120_000, 600_000, 1_800_000, 3_600_000] as const;
const TEAM = ['owner', 'admin'] as const;

/** A user's and an administrator's email preferences, from their stored JSON: both on unless turned off. */
export function emailPreferencesOf(row: Pick<UserRow, 'preferences'>): { emailNotifications: boolean; agentEmails: boolean } {
  let stored: unknown;
  try {
    stored = JSON.parse(row.preferences);
  } catch {
    stored = {};
  }
  const read = (name: string) => !(typeof stored === 'object' && stored !== null && (stored as Record<string, unknown>)[name] === false);
  return { emailNotifications: read('emailNotifications'), agentEmails: read('agentEmails') };
}

/**
 * Whether a row of `key` is pending. Two replies at once see each other: each has updated the conversation's
 * row earlier in its transaction (see NotificationScheduler), and that lock is held until it ends.
 */
async function isPending(trx: Kysely<Database>, key: string): Promise<boolean> {
  return (await trx.selectFrom('outbox').select('seq').where('ordering_key', '=', key).where('status', 'in', ['pending', 'sending']).limit(1).executeTakeFirst()) !== undefined;
}

/**
 * When the user was last emailed about the conversation: the time of its newest one-time link, which every
 * such email carries (a notification that found nothing unread sent nothing and does not count).
 */
async function lastEmailedAt(trx: Kysely<Database>, userId: string, conversationId: string): Promise<number | null> {
  const row = await trx.selectFrom('email_links').select((eb) => eb.fn.max('created_at').as('at')).where('user_id', '=', userId).where('conversation_id', '=', conversationId).executeTakeFirst();
  return row?.at == null ? null : Number(row.at);
}

export interface NotificationScheduler {
  /**
   * A message was posted (not a note), inside its transaction `trx`, which has already updated the
   * conversation's row (its activity time, or its status): that row lock, held until the transaction ends,
   * keeps two posts of the conversation from scheduling at once. Answers what to run once `trx` has
   * committed, if anything: the caller runs it then, and never when the transaction did not commit.
   */
  messagePosted(trx: Kysely<Database>, input: { conversationId: string; author: Pick<UserRow, 'id' | 'role'> }, now: number): Promise<(() => void) | undefined>;
}

/**
 * How long before a known team alert is due this instance stops trusting that it is still pending, and asks
 * the database again: more than any two instances' clocks differ (a worker on a clock ahead may send it
 * that much earlier).
 */
export const PENDING_ALERT_MARGIN_MS = 60_000;
/** At most this many conversations' pending alerts are remembered; past it, the ones no longer trusted go. */
const PENDING_ALERTS_KEPT = 10_000;

/**
 * The team alerts this instance knows to be pending, by conversation: when each is due. A pending alert
 * leaves that state only when a worker claims it, at its due time (nothing cancels or resends one early), so
 * until shortly before then a user's further messages need not ask the database whether one is pending: a
 * member's message then costs one statement less. Learnt only from a committed transaction.
 */
function createPendingAlerts() {
  const dueAt = new Map<string, number>();
  return {
    /** Whether an alert of the conversation is surely still pending at `now`. */
    known(conversationId: string, now: number): boolean {
      const due = dueAt.get(conversationId);
      if (due === undefined) return false;
      if (now < due - PENDING_ALERT_MARGIN_MS) return true;
      dueAt.delete(conversationId);
      return false;
    },
    /** Forgets everything: what it learnt may be gone from the database (see createNotificationScheduler). */
    clear(): void {
      dueAt.clear();
    },
    learn(conversationId: string, due: number, now: number): void {
      if (now >= due - PENDING_ALERT_MARGIN_MS) return;
      if (dueAt.size >= PENDING_ALERTS_KEPT) {
        for (const [id, at] of dueAt) if (now >= at - PENDING_ALERT_MARGIN_MS) dueAt.delete(id);
        if (dueAt.size >= PENDING_ALERTS_KEPT) dueAt.clear();
      }
      dueAt.set(conversationId, due);
    },
  };
}

export function createNotificationScheduler(deps: { store: Store; config: Config }): NotificationScheduler {
  const { store, config } = deps;
  const outbox = createOutboxRepository(store);
  const pendingAlerts = createPendingAlerts();
  // A LISTEN connection that came back (`*`, store/changes.ts) may mean a failover: a pending alert whose
  // commit the promoted replica never received is gone, so the next message asks the database again.
  changesOf(store).subscribe((topic) => {
    if (topic === '*') pendingAlerts.clear();
  });
  return {
    async messagePosted(trx, { conversationId, author }, now) {
      if (author.role === 'owner' || author.role === 'admin') {
        const users = await trx
          .selectFrom('participants as p')
          .innerJoin('users as u', 'u.id', 'p.user_id')
          .select('u.id')
          .where('p.conversation_id', '=', conversationId)
          .where('u.role', '=', 'member')
          .where('u.email', 'is not', null)
          .where('u.active', '=', 1)
          .execute();
        for (const { id } of users) {
          const key = `notify:${id}:${conversationId}`;
          if (await isPending(trx, key)) continue;
          const last = await lastEmailedAt(trx, id, conversationId);
          const dueAt = Math.max(now + config.notifyAfterSeconds * 1000, last === null ? 0 : last + NOTIFY_SPACING_MS);
          await outbox.enqueue(trx, [{ kind: USER_NOTIFICATION_KIND, orderingKey: key, target: id, payload: { userId: id, conversationId }, dueAt }], now);
        }
        return undefined;
      }
      if (pendingAlerts.known(conversationId, now)) return undefined;
      const key = `agents:${conversationId}`;
      const { dueAt } = await outbox.enqueueUnlessPending(trx, { kind: AGENT_NOTIFICATION_KIND, orderingKey: key, target: conversationId, payload: { conversationId }, dueAt: now + config.agentNotifyAfterSeconds * 1000 }, now);
      return dueAt === null ? undefined : () => pendingAlerts.learn(conversationId, dueAt, now);
    },
  };
}

/** The payload of a notification row, narrowed. */
function readPayload(row: OutboxRow): { userId?: string; conversationId: string } | null {
  try {
    const value = JSON.parse(row.payload) as Record<string, unknown>;
    if (typeof value['conversationId'] !== 'string') return null;
    return { conversationId: value['conversationId'], ...(typeof value['userId'] === 'string' ? { userId: value['userId'] } : {}) };
  } catch {
    return null;
  }
}

export interface NotificationSenderDeps {
  store: Store;
  publicUrl: () => string;
  /** Whether email is on (an SMTP server is set), and the team's name as the widget shows it. */
  emailEnabled: () => Promise<boolean>;
  teamName: () => Promise<string>;
}

/** The senders of `user_notification` and `agent_notification`. */
export function createNotificationSenders(deps: NotificationSenderDeps): OutboxSender[] {
  const { store } = deps;
  const users = createUserRepository(store);
  const links = createEmailLinkRepository(store.db);
  const secrets = createInstanceSecretRepository(store);
  const presence = createPresenceRepository(store);
  const nameOf = (u: { name: string | null; email: string | null; id: string }) => u.name ?? u.email ?? u.id;

  const userSender: OutboxSender = {
    kind: USER_NOTIFICATION_KIND,
    retryDelaysMs: NOTIFY_RETRY_DELAYS_MS,
    async send(row, now) {
      const payload = readPayload(row);
      if (!payload?.userId) return { ok: false, error: 'not a notification', retry: false };
      if (!(await deps.emailEnabled())) return { ok: true };
      const user = await users.findById(payload.userId);
      if (!user || !user.active || !user.email || !emailPreferencesOf(user).emailNotifications) return { ok: true };
      // The team's replies after the user's read marker: neither notes nor deleted ones.
      const unread = await store.db
        .selectFrom('messages as m')
        .innerJoin('users as a', 'a.id', 'm.author_id')
        .leftJoin('read_markers as r', (join) => join.onRef('r.conversation_id', '=', 'm.conversation_id').on('r.user_id', '=', user.id))
        .select(['m.text', 'a.name', 'a.email', 'a.id'])
        .where('m.conversation_id', '=', payload.conversationId)
        .where('m.internal', '=', 0)
        .where('m.deleted_at', 'is', null)
        .where('a.role', 'in', TEAM)
        .where((eb) => eb('m.seq', '>', eb.fn.coalesce('r.seq', eb.lit(0))))
        .orderBy('m.seq')
        .execute();
      if (unread.length === 0) return { ok: true };
      const base = deps.publicUrl();
      const unsubscribe = `${base}${UNSUBSCRIBE_PATH}?token=${signUnsubscribeToken(await secrets.get(UNSUBSCRIBE_SECRET, now), user.id)}`;
      const team = await deps.teamName();
      let locale: unknown;
      try {
        locale = (JSON.parse(user.metadata) as Record<string, unknown>)['locale'];
      } catch {
        locale = undefined;
      }
      await inTransaction(store, async (tx) => {
        const token = await links.create(tx.db, user.id, payload.conversationId, now);
        const mail = userNotificationMail({ locale: mailLocale(locale), team, messages: unread.map((m) => ({ author: nameOf(m), text: m.text })), link: `${base}${EMAIL_OPEN_PATH}?token=${token}`, unsubscribeUrl: unsubscribe });
        await enqueueMail(tx, { to: user.email!, ...mail, target: user.id, headers: { 'List-Unsubscribe': `<${unsubscribe}>`, 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' } }, now);
      });
      return { ok: true };
    },
  };

  const agentSender: OutboxSender = {
    kind: AGENT_NOTIFICATION_KIND,
    retryDelaysMs: NOTIFY_RETRY_DELAYS_MS,
    async send(row, now) {
      const payload = readPayload(row);
      if (!payload) return { ok: false, error: 'not a notification', retry: false };
      if (!(await deps.emailEnabled())) return { ok: true };
      const conversation = await store.db.selectFrom('conversations').selectAll().where('id', '=', payload.conversationId).executeTakeFirst();
      if (!conversation || conversation.status !== 'open') return { ok: true };
      const last = await store.db
        .selectFrom('messages as m')
        .leftJoin('users as a', 'a.id', 'm.author_id')
        .select(['m.text', 'm.deleted_at', 'm.author_type', 'a.role', 'a.name', 'a.email', 'a.id'])
        .where('m.conversation_id', '=', conversation.id)
        .where('m.internal', '=', 0)
        .orderBy('m.seq', 'desc')
        .limit(1)
        .executeTakeFirst();
      // Answered: by the team, or by the assistant (docs/assistant.md), whose hand-off posts a message that alerts again.
      if (!last || last.role === 'owner' || last.role === 'admin' || last.author_type === 'assistant') return { ok: true };
      if (await presence.online(conversation.organization_id, now)) return { ok: true };
      let recipients: UserRow[];
      const assignee = conversation.assignee_id ? await users.findById(conversation.assignee_id) : undefined;
      if (assignee && assignee.active) recipients = [assignee];
      else
        recipients = await store.db
          .selectFrom('users')
          .selectAll()
          .where('active', '=', 1)
          .where((eb) => eb.or([eb('role', '=', 'owner'), eb.and([eb('role', '=', 'admin'), eb('organization_id', '=', conversation.organization_id)])]))
          .execute();
      recipients = recipients.filter((u) => u.email && emailPreferencesOf(u).agentEmails);
      if (recipients.length === 0) return { ok: true };
      const link = `${deps.publicUrl()}/admin#/inbox/${encodeURIComponent(conversation.id)}`;
      const who = last.id ? nameOf({ id: last.id, name: last.name, email: last.email }) : '?';
      await inTransaction(store, async (tx) => {
        for (const admin of recipients) {
          const mail = agentNotificationMail({ locale: 'en', title: conversation.title ?? conversation.id, who, text: last.deleted_at === null ? last.text : '', link });
          await enqueueMail(tx, { to: admin.email!, ...mail, target: admin.id }, now);
        }
      });
      return { ok: true };
    },
  };

  return [userSender, agentSender];
}

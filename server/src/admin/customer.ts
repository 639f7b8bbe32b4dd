/**
 * Who a conversation is with, for the inbox's side panel: the account that started it (or, for one an
 * administrator started, its first participant who is not an administrator), with what their signed token
 * said of them, when they were first and last seen, the page where they last opened the widget, and their
 * other conversations. Administrators of the organization only (the admin routes' guard, then the access
 * check of chat/access.ts).
 */
import type { Static } from '@sinclair/typebox';
import type { CustomerSchema } from '#shared/admin-api.js';
import { isAdministrator, type AccessControl } from '../chat/access.js';
import { activityOf, type ConversationRepository } from '../store/conversations.js';
import type { OrganizationRepository } from '../store/organizations.js';
import type { UserRepository, UserRow } from '../store/users.js';

export type Customer = Static<typeof CustomerSchema>;

const OTHER_CONVERSATIONS = 20;
const iso = (ms: number) => new Date(ms).toISOString();

/** The signed claims kept as metadata, as key / value text sorted by key (a nested value as its JSON). */
export function metadataEntries(json: string): { key: string; value: string }[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    return [];
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return [];
  return Object.entries(parsed)
    .map(([key, value]) => ({ key, value: typeof value === 'string' ? value : JSON.stringify(value) }))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

export function createCustomerLookup(deps: { access: AccessControl; conversations: ConversationRepository; users: UserRepository; organizations: OrganizationRepository }) {
  const { access, conversations, users, organizations } = deps;

  /** The account the conversation is with, if any is left. */
  async function customerOf(conversation: { id: string; created_by: string | null }): Promise<UserRow | undefined> {
    const creator = conversation.created_by === null ? undefined : await users.findById(conversation.created_by);
    if (creator && !isAdministrator(creator)) return creator;
    for (const participant of await conversations.participantsOf([conversation.id])) {
      if (participant.role === 'member') return users.findById(participant.id);
    }
    return undefined;
  }

  return {
    /** The customer of conversation `id` as `admin` may see it; null when no such account is left. */
    async forConversation(admin: UserRow, id: string): Promise<Customer | null> {
      const conversation = await access.requireConversation(admin, id, 'read');
      const user = await customerOf(conversation);
      if (!user) return null;
      const [organization, theirs] = await Promise.all([
        organizations.findById(user.organization_id),
        conversations.listForParticipant({ id: user.id, organizationId: user.organization_id }, undefined, OTHER_CONVERSATIONS + 1),
      ]);
      return {
        id: user.id,
        externalId: user.external_id,
        email: user.email,
        name: user.name,
        avatarUrl: user.avatar_url,
        organizationId: user.organization_id,
        organizationName: organization?.name ?? null,
        metadata: metadataEntries(user.metadata),
        firstSeenAt: iso(user.created_at),
        lastSeenAt: user.last_seen_at === null ? null : iso(user.last_seen_at),
        lastPage: user.last_page,
        active: user.active === 1,
        conversations: theirs
          .filter((c) => c.id !== conversation.id)
          .slice(0, OTHER_CONVERSATIONS)
          .map((c) => ({ id: c.id, title: c.title, status: c.status, lastMessageAt: c.last_message_at === null ? null : iso(activityOf(c)) })),
      };
    },
  };
}

export type CustomerLookup = ReturnType<typeof createCustomerLookup>;

/**
 * A stream's quick decision (chat/access.ts, `reachesAtOnce`), by which a stream skips the instance's events
 * that are not its user's without queueing them: the rule's answers for each kind of audience, and it
 * leaves undecided only a member's document-room audiences, which need the grants (and `mayReach`).
 */
import { describe, expect, it } from 'vitest';
import { createAccessControl, type Audience } from '../../../server/src/chat/access.js';
import type { ConversationRepository } from '../../../server/src/store/conversations.js';
import type { GrantRepository } from '../../../server/src/store/grants.js';
import type { UserRow } from '../../../server/src/store/users.js';
import { changesOf } from '../../../server/src/store/changes.js';
import type { Store } from '../../../server/src/store/database.js';

const T0 = Date.UTC(2026, 11, 1, 9, 0, 0);

function user(id: string, role: UserRow['role']): UserRow {
  return {
    id, external_id: id, email: null, email_normalized: null, name: id, avatar_url: null, metadata: '{}', role, organization_id: 'org_a', active: 1,
    created_via: 'external_token', created_at: T0, last_seen_at: null, session_epoch: 0, preferences: '{}', last_page: null, panel_seen_at: null,
  };
}

describe('a stream’s quick access decision', () => {
  // The member holds a viewer grant on doc_granted only.
  const grants = {
    list: async (userId: string) => (userId === 'usr_member' ? [{ user_id: userId, organization_id: 'org_a', resource_type: 'document', resource_id: 'doc_granted', access_role: 'viewer', expires_at: null }] : []),
    folderOf: async () => null,
  } as unknown as GrantRepository;
  const changes = changesOf({ dialect: 'sqlite' } as Store);
  const access = createAccessControl({ conversations: {} as ConversationRepository, grants, changes, now: () => T0 });

  const audiences: Audience[] = [];
  for (const organizationId of ['org_a', 'org_b', null])
    for (const documentId of [null, 'doc_granted', 'doc_other'])
      for (const participantIds of [[], ['usr_member'], ['usr_other']])
        for (const internal of [false, true]) audiences.push({ organizationId, documentId, participantIds, internal });

  it.each([['member', user('usr_member', 'member')], ['admin', user('usr_admin', 'admin')], ['owner', user('usr_owner', 'owner')]] as const)('decides as the full rule does for a %s, a room only once the grants are loaded', async (_name, who) => {
    const stream = access.forStream(who);
    try {
      const roomOfTheirs = (a: Audience) => who.role === 'member' && a.organizationId === 'org_a' && !a.internal && a.documentId !== null;
      // Nothing loaded yet: a member's rooms wait for the grants.
      for (const audience of audiences) expect({ audience, undecided: stream.reachesAtOnce(audience) === undefined }).toEqual({ audience, undecided: roomOfTheirs(audience) });
      const full = [];
      for (const audience of audiences) full.push(await stream.mayReach(audience));
      // Loaded: everything is decided at once, as the full rule decides it.
      expect(audiences.map((a) => stream.reachesAtOnce(a))).toEqual(full);
      // A change to the account's grants: its rooms wait for them again.
      changes.heard(`grants:${who.id}`);
      for (const audience of audiences) expect({ audience, undecided: stream.reachesAtOnce(audience) === undefined }).toEqual({ audience, undecided: roomOfTheirs(audience) });
    } finally {
      stream.close();
    }
  });

  it('lets an administrator’s stream have all of its organization, notes included, and nothing of another', () => {
    const stream = access.forStream(user('usr_admin', 'admin'));
    try {
      const base = { organizationId: 'org_a', documentId: null, participantIds: [], internal: false };
      expect(stream.reachesAtOnce(base)).toBe(true);
      expect(stream.reachesAtOnce({ ...base, internal: true })).toBe(true);
      expect(stream.reachesAtOnce({ ...base, documentId: 'doc_other' })).toBe(true);
      expect(stream.reachesAtOnce({ ...base, organizationId: 'org_b' })).toBe(false);
      expect(stream.reachesAtOnce({ ...base, organizationId: null })).toBe(false);
    } finally {
      stream.close();
    }
  });

  it('lets a member’s own conversations and granted rooms through, and nothing else', async () => {
    const stream = access.forStream(user('usr_member', 'member'));
    try {
      const base = { organizationId: 'org_a', documentId: null, participantIds: ['usr_member'], internal: false };
      expect(stream.reachesAtOnce(base)).toBe(true);
      expect(stream.reachesAtOnce({ ...base, participantIds: ['usr_other'] })).toBe(false);
      expect(stream.reachesAtOnce({ ...base, internal: true })).toBe(false);
      expect(stream.reachesAtOnce({ ...base, organizationId: 'org_b' })).toBe(false);
      expect(await stream.mayReach({ ...base, documentId: 'doc_granted', participantIds: [] })).toBe(true);
      expect(await stream.mayReach({ ...base, documentId: 'doc_other', participantIds: ['usr_member'] })).toBe(false);
      expect(stream.reachesAtOnce({ ...base, documentId: 'doc_granted', participantIds: [] })).toBe(true);
      expect(stream.reachesAtOnce({ ...base, documentId: 'doc_other', participantIds: ['usr_member'] })).toBe(false);
    } finally {
      stream.close();
    }
  });
});

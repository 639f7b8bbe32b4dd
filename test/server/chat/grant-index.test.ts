/**
 * An account's grants as a stream holds them (chat/grant-index.ts): the strongest unexpired grant on the
 * document, its folder or its organization, `editor` over `viewer`; grants of another organization count for
 * nothing. The same rule as grants.roleFor in the database (test/server/store/session-with-conversation.test.ts
 * compares that one with the session's read).
 */
import { describe, expect, it } from 'vitest';
import { indexGrants } from '../../../server/src/chat/grant-index.js';
import type { GrantRow } from '../../../server/src/store/grants.js';

const T = 1_000_000;
const grant = (resource_type: GrantRow['resource_type'], resource_id: string, access_role: GrantRow['access_role'], expires_at: number | null = null, organization_id = 'org_a'): GrantRow => ({
  user_id: 'usr_a', organization_id, resource_type, resource_id, access_role, expires_at,
});

describe('a grant index', () => {
  it('answers null without a covering grant, and ignores another organization’s', () => {
    const index = indexGrants([grant('document', 'doc_a', 'editor', null, 'org_b'), grant('organization', 'org_b', 'editor', null, 'org_b'), grant('document', 'doc_other', 'viewer')], 'org_a');
    expect(index.roleFor('doc_a', null, T)).toBeNull();
    expect(index.roleFor('doc_other', null, T)).toBe('viewer');
    expect(index.hasFolderGrants).toBe(false);
  });

  it('takes the strongest of document, folder and organization grants', () => {
    const index = indexGrants([grant('document', 'doc_a', 'viewer'), grant('folder', 'fld_a', 'editor'), grant('organization', 'org_a', 'viewer')], 'org_a');
    expect(index.hasFolderGrants).toBe(true);
    expect(index.roleFor('doc_a', 'fld_a', T)).toBe('editor');
    expect(index.roleFor('doc_a', null, T)).toBe('viewer');
    expect(index.roleFor('doc_b', 'fld_a', T)).toBe('editor');
    expect(index.roleFor('doc_b', 'fld_b', T)).toBe('viewer');
    expect(indexGrants([grant('organization', 'org_a', 'editor'), grant('document', 'doc_a', 'viewer')], 'org_a').roleFor('doc_a', null, T)).toBe('editor');
  });

  it('counts a grant until its expiry, not at it', () => {
    const index = indexGrants([grant('document', 'doc_a', 'editor', T + 10), grant('document', 'doc_a', 'viewer', T + 20)], 'org_a');
    expect(index.roleFor('doc_a', null, T + 9)).toBe('editor');
    expect(index.roleFor('doc_a', null, T + 10)).toBe('viewer');
    expect(index.roleFor('doc_a', null, T + 20)).toBeNull();
  });
});

/**
 * Resource grants as integrators write them (docs/token-api.md): `{type, id, organizationId, accessRole,
 * expiresAt, folderId}`, for an organization, a folder or a document, read from the token API's bodies and
 * from signed tokens with this one function, so both read the same. Every id follows the id rule of
 * shared/src/fields.ts. Bad input is answered with a message that names the field.
 */
import type { AccessRole, ResourceType } from '../store/schema.js';
import { parseId } from '#shared/fields.js';

export interface ResourceGrant {
  type: ResourceType;
  id: string;
  organizationId: string;
  accessRole: AccessRole;
  /** Milliseconds since the epoch, or null for no end. */
  expiresAt: number | null;
  /** For a document: the folder it belongs to, when the integrator says so. */
  folderId: string | null;
}

export const MAX_RESOURCES = 100;
const TYPES: ReadonlySet<string> = new Set(['organization', 'folder', 'document']);
const ROLES: ReadonlySet<string> = new Set(['viewer', 'editor']);

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Parses a list of resources; answers the list, or a message naming the first bad field. */
export function parseResources(value: unknown, path: string): ResourceGrant[] | string {
  if (!Array.isArray(value)) return `${path} must be an array`;
  if (value.length > MAX_RESOURCES) return `${path} may list at most ${MAX_RESOURCES} resources`;
  const grants: ResourceGrant[] = [];
  for (const [i, item] of value.entries()) {
    const at = `${path}[${i}]`;
    if (!isObject(item)) return `${at} must be an object`;
    const { type, accessRole, expiresAt } = item;
    if (typeof type !== 'string' || !TYPES.has(type)) return `${at}.type must be "organization", "folder" or "document"`;
    const id = parseId(item['id']);
    if (!id.ok) return `${at}.id ${id.reason}`;
    if (type !== 'organization' && item['organizationId'] === undefined) return `${at}.organizationId is required for a ${type}`;
    let organizationId = id.value;
    if (item['organizationId'] !== undefined) {
      const parsed = parseId(item['organizationId']);
      if (!parsed.ok) return `${at}.organizationId ${parsed.reason}`;
      if (type === 'organization' && parsed.value !== id.value) return `${at}.organizationId must equal id for an organization`;
      organizationId = parsed.value;
    }
    if (accessRole !== undefined && (typeof accessRole !== 'string' || !ROLES.has(accessRole))) return `${at}.accessRole must be "viewer" or "editor"`;
    if (expiresAt !== undefined && expiresAt !== null && (typeof expiresAt !== 'number' || !Number.isSafeInteger(expiresAt) || expiresAt < 0)) {
      return `${at}.expiresAt must be a Unix time in seconds`;
    }
    let folderId: string | null = null;
    if (item['folderId'] !== undefined) {
      if (type !== 'document') return `${at}.folderId is only for a document`;
      const parsed = parseId(item['folderId']);
      if (!parsed.ok) return `${at}.folderId ${parsed.reason}`;
      folderId = parsed.value;
    }
    grants.push({
      type: type as ResourceType,
      id: id.value,
      organizationId,
      accessRole: (accessRole as AccessRole | undefined) ?? 'editor',
      expiresAt: typeof expiresAt === 'number' ? expiresAt * 1000 : null,
      folderId,
    });
  }
  return grants;
}

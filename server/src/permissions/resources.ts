/**
 * Resource grants as integrators write them (PRODUCT.md §6, seeds/003): `{type, id, organizationId,
 * accessRole, expiresAt}`, for an organization, a folder or a document, read from the token API's bodies and
 * from signed tokens. Bad input is answered with a message that names the field.
 */
import type { AccessRole, ResourceType } from '../store/schema.js';

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

const isId = (v: unknown): v is string => typeof v === 'string' && v.length >= 1 && v.length <= 256 && v.isWellFormed() && !/[\u0000-\u001f]/.test(v);
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Parses a list of resources; answers the list, or a message naming the first bad field. */
export function parseResources(value: unknown, path: string): ResourceGrant[] | string {
  if (!Array.isArray(value)) return `${path} must be an array`;
  if (value.length > MAX_RESOURCES) return `${path} may list at most ${MAX_RESOURCES} resources`;
  const grants: ResourceGrant[] = [];
  for (const [i, item] of value.entries()) {
    const at = `${path}[${i}]`;
    if (!isObject(item)) return `${at} must be an object`;
    const { type, id, organizationId, accessRole, expiresAt, folderId } = item;
    if (typeof type !== 'string' || !TYPES.has(type)) return `${at}.type must be "organization", "folder" or "document"`;
    if (!isId(id)) return `${at}.id must be a string of 1 to 256 characters`;
    if (type !== 'organization' && !isId(organizationId)) return `${at}.organizationId is required for a ${type}`;
    if (organizationId !== undefined && !isId(organizationId)) return `${at}.organizationId must be a string of 1 to 256 characters`;
    if (type === 'organization' && organizationId !== undefined && organizationId !== id) return `${at}.organizationId must equal id for an organization`;
    if (accessRole !== undefined && (typeof accessRole !== 'string' || !ROLES.has(accessRole))) return `${at}.accessRole must be "viewer" or "editor"`;
    if (expiresAt !== undefined && expiresAt !== null && (typeof expiresAt !== 'number' || !Number.isSafeInteger(expiresAt) || expiresAt < 0)) {
      return `${at}.expiresAt must be a Unix time in seconds`;
    }
    if (folderId !== undefined && (type !== 'document' || !isId(folderId))) return `${at}.folderId is only for a document, as a string`;
    grants.push({
      type: type as ResourceType,
      id,
      organizationId: type === 'organization' ? id : (organizationId as string),
      accessRole: (accessRole as AccessRole | undefined) ?? 'editor',
      expiresAt: typeof expiresAt === 'number' ? expiresAt * 1000 : null,
      folderId: typeof folderId === 'string' ? folderId : null,
    });
  }
  return grants;
}

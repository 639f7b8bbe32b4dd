/** The audit log: newest first, filtered by kind, paged by id. */
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { presentAuditEntry } from '../../admin/audit.js';
import { AuditListSchema } from '#shared/admin-api.js';

const AuditQuery = Type.Object(
  {
    kind: Type.Optional(Type.Union([Type.Literal('admin'), Type.Literal('sign_in')])),
    cursor: Type.Optional(Type.String({ pattern: '^\\d{1,15}$' })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })),
  },
  { additionalProperties: false },
);

export async function auditRoutes(parent: FastifyInstance) {
  const app = parent.withTypeProvider<TypeBoxTypeProvider>();
  app.get('/audit', { schema: { querystring: AuditQuery, response: { 200: AuditListSchema } } }, async (request) => {
    const limit = request.query.limit ?? 50;
    const rows = await app.services.audit.list(request.query.kind, request.query.cursor ? Number(request.query.cursor) : undefined, limit + 1);
    const page = rows.slice(0, limit);
    return { entries: page.map(presentAuditEntry), nextCursor: rows.length > limit && page.length > 0 ? String(page[page.length - 1]!.id) : null };
  });
}

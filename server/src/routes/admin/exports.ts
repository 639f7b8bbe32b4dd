/**
 * Exports (docs/admin-api.md, Exports): a conversation's transcript as JSON or text, and all the data of one
 * account as JSON, each a download written as a stream (admin/exports.ts). Not audited: the admin routes
 * audit changes, not reads.
 */
import type { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { createExports } from '../../admin/exports.js';
import { ParleyError } from '../../errors.js';
import { EXPORT_FORMATS, ExportParamsSchema, TranscriptExportSchema, TranscriptQuerySchema, UserExportSchema, type ExportFormat } from '#shared/exports-api.js';

const CONTENT_TYPES = new Map<ExportFormat, string>([
  ['json', 'application/json; charset=utf-8'],
  ['txt', 'text/plain; charset=utf-8'],
]);

/**
 * Sends the export as a download. The response schemas describe the body for /docs; a stream is written as
 * it comes, never serialised, so the reply is taken here without its typed payload.
 */
function sendDownload(reply: FastifyReply, stream: Readable, format: ExportFormat, filename: string) {
  return reply.type(CONTENT_TYPES.get(format)!).header('content-disposition', `attachment; filename="${filename}"`).send(stream);
}

const isFormat = (value: string): value is ExportFormat => (EXPORT_FORMATS as readonly string[]).includes(value);

export async function exportRoutes(parent: FastifyInstance) {
  const app = parent.withTypeProvider<TypeBoxTypeProvider>();
  const { access, inbox, users } = app.services;
  const exports = createExports({ store: app.store, access, inbox, users });

  app.get(
    '/conversations/:id/export',
    {
      schema: {
        params: ExportParamsSchema,
        querystring: TranscriptQuerySchema,
        response: {
          200: {
            description: 'The transcript, as an attachment: conversation-<id>.json or .txt',
            content: { 'application/json': { schema: TranscriptExportSchema }, 'text/plain': { schema: Type.String() } },
          },
        },
      },
    },
    async (request, reply) => {
      const format = request.query.format ?? 'json';
      if (!isFormat(format)) throw new ParleyError('bad_request', `format must be "json" or "txt", not ${JSON.stringify(format)}.`);
      const stream = await exports.transcript(request.session!.user, request.params.id, format);
      return sendDownload(reply, stream, format, `conversation-${request.params.id}.${format}`);
    },
  );

  app.get(
    '/users/:id/export',
    {
      schema: {
        params: ExportParamsSchema,
        response: { 200: { description: 'All the data of the account, as an attachment: user-<id>.json', content: { 'application/json': { schema: UserExportSchema } } } },
      },
    },
    async (request, reply) => {
      const stream = await exports.userData(request.session!.user, request.params.id);
      return sendDownload(reply, stream, 'json', `user-${request.params.id}.json`);
    },
  );
}

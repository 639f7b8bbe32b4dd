/**
 * Files over REST (docs/attachments.md): `POST /api/v1/conversations/:id/attachments` (multipart, the file
 * in the field `file`) stores one for the user's next message there; `GET /api/v1/attachments/:id` serves
 * one to whoever may read it: with the session's cookie or bearer token, an admin API key (`x-api-key`), or
 * `?token=` and the session's fileToken, which an `<img>` can carry. Served so that no file can run in Parley's origin: its recognised
 * type (never the uploader's), `nosniff`, a sandboxing CSP, and `attachment` for everything but images.
 */
import multipart, { type MultipartFile } from '@fastify/multipart';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { AttachmentResponseSchema } from '#shared/api.js';
import { ParleyError } from '../../errors.js';
import { BlobMissing } from '../../storage/blob-store.js';
import type { UserRow } from '../../store/users.js';

const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$' }) });
const SEND_AS = 'Send the file as multipart/form-data, in the field "file".';
/** What a multipart body may add around its file: boundaries and part headers. */
const MULTIPART_OVERHEAD_BYTES = 16 * 1024;

/** How long a client waits before it tries again when the file storage failed (a 503). */
export const STORAGE_RETRY_AFTER_SECONDS = 5;
const STORAGE_UNAVAILABLE = 'The file storage cannot be reached right now. Try again shortly.';

/** `error`, with a Retry-After on `reply` when it is the storage's 503. */
function retryLater(reply: FastifyReply, error: unknown): unknown {
  if (error instanceof ParleyError && error.code === 'service_unavailable') reply.header('retry-after', String(STORAGE_RETRY_AFTER_SECONDS));
  return error;
}

/** A code of @fastify/multipart's errors (they carry `code`), or undefined. */
const codeOf = (error: unknown) => (error instanceof Error && 'code' in error ? String(error.code) : undefined);

/** `Content-Disposition` (RFC 6266): an ASCII fallback name, and the real one as RFC 8187 UTF-8. */
export function contentDisposition(disposition: 'inline' | 'attachment', name: string): string {
  const fallback = name.replace(/[^\x20-\x7e]|["\\%]/g, '_');
  const encoded = encodeURIComponent(name).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `${disposition}; filename="${fallback}"; filename*=UTF-8''${encoded}`;
}

/** Uploading: inside the chat routes (their session check and no-store header apply). */
export async function attachmentUploadRoutes(parent: FastifyInstance) {
  const app = parent.withTypeProvider<TypeBoxTypeProvider>();
  const { attachments } = app.services;
  const { maxUploadBytes } = app.config;
  await app.register(multipart);

  // A refusal answers before the body is read to its end: the connection closes after the answer rather
  // than stay open with the rest of the upload unread (paused, it would never see the client go).
  app.addHook('onError', async (request, reply) => {
    reply.header('connection', 'close');
    reply.raw.once('finish', () => request.raw.destroy());
  });

  app.post(
    '/conversations/:id/attachments',
    { schema: { params: IdParams, consumes: ['multipart/form-data'], response: { 201: AttachmentResponseSchema } } },
    async (request, reply) => {
      const declared = request.headers['content-length'] === undefined ? null : Number(request.headers['content-length']);
      if (declared !== null && Number.isFinite(declared) && declared > maxUploadBytes + MULTIPART_OVERHEAD_BYTES) {
        throw new ParleyError('attachment_too_large', `A file may be at most ${maxUploadBytes} bytes.`);
      }
      let part: MultipartFile | undefined;
      try {
        // One byte more than allowed reaches the inspector, which refuses it (busboy would cut silently).
        part = await request.file({ limits: { fileSize: maxUploadBytes + 1, files: 1, fields: 5, fieldSize: 1024, parts: 6, headerPairs: 20 }, throwFileSizeLimit: false });
      } catch (error) {
        if (codeOf(error) === 'FST_INVALID_MULTIPART_CONTENT_TYPE') throw new ParleyError('unsupported_media_type', SEND_AS);
        throw new ParleyError('attachment_truncated');
      }
      if (!part || part.fieldname !== 'file') throw new ParleyError('bad_request', SEND_AS);
      const attachment = await attachments
        .upload(request.session!.user, request.params.id, {
          name: part.filename,
          stream: part.file,
          declaredBytes: declared !== null && Number.isFinite(declared) ? declared : null,
        })
        .catch((error: unknown) => {
          throw retryLater(reply, error);
        });
      return reply.code(201).send({ attachment });
    },
  );
}

/** Downloading: its own session check, which also takes a file token. */
export async function attachmentDownloadRoutes(parent: FastifyInstance) {
  const app = parent.withTypeProvider<TypeBoxTypeProvider>();
  const { attachments, sessions, requireSession, requireAdministrator } = app.services;

  async function readerOf(request: FastifyRequest, fileToken: string | undefined): Promise<UserRow> {
    // An admin API key (`x-api-key`) reads as its creator, an administrator, as it does in the admin REST:
    // the files an export or the admin thread lists can be fetched by the integration that listed them.
    if (request.headers['x-api-key'] !== undefined) {
      await requireAdministrator(request);
      return request.session!.user;
    }
    if (fileToken === undefined) {
      await requireSession(request);
      return request.session!.user;
    }
    const found = await sessions.findValidFileToken(fileToken, app.now());
    if (!found || !found.user.active) throw new ParleyError('session_invalid', 'This file link has ended with its session. Reload the page.');
    return found.user;
  }

  app.get(
    '/attachments/:id',
    { schema: { params: IdParams, querystring: Type.Object({ token: Type.Optional(Type.String({ maxLength: 256 })) }) }, config: { compress: false } } as never,
    async (request: FastifyRequest<{ Params: { id: string }; Querystring: { token?: string } }>, reply) => {
      const user = await readerOf(request, request.query.token);
      const { attachment, bytes } = await attachments.open(user, request.params.id);
      const etag = `"${attachment.id}"`;
      reply
        .header('cache-control', 'private, no-cache')
        .header('etag', etag)
        .header('content-security-policy', "sandbox; default-src 'none'")
        .header('cross-origin-resource-policy', 'cross-origin')
        .header('referrer-policy', 'no-referrer');
      if (request.headers['if-none-match'] === etag) return reply.code(304).send();
      let body;
      try {
        body = await bytes();
      } catch (error) {
        if (error instanceof BlobMissing) throw new ParleyError('attachment_not_found');
        request.log.error({ err: error }, 'file storage failed');
        throw retryLater(reply, new ParleyError('service_unavailable', STORAGE_UNAVAILABLE));
      }
      const image = attachment.type.startsWith('image/');
      return reply
        .type(attachment.type.startsWith('text/') ? `${attachment.type}; charset=utf-8` : attachment.type)
        .header('content-length', String(attachment.size))
        .header('content-disposition', contentDisposition(image ? 'inline' : 'attachment', attachment.name))
        .send(body);
    },
  );
}

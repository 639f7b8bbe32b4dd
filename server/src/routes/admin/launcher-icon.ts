/**
 * `PUT /api/v1/admin/settings/launcher-icon` (multipart, the image in the field `file`) and `DELETE` of it
 * (docs/admin-api.md, Widget). The multipart parser is registered in this plugin only: every other route
 * keeps speaking JSON alone.
 */
import multipart, { type MultipartFile } from '@fastify/multipart';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { SettingsSchema } from '#shared/admin-api.js';
import { MAX_LAUNCHER_ICON_BYTES } from '../../admin/launcher-icon.js';
import { ParleyError } from '../../errors.js';
import { ICON_TOO_LARGE } from '../../use-cases/settings.js';
import { contextOf } from '../context.js';

const SEND_AS = 'Send the icon as multipart/form-data, in the field "file".';

/** A code of @fastify/multipart's errors (they carry `code`), or undefined. */
const codeOf = (error: unknown) => (error instanceof Error && 'code' in error ? String(error.code) : undefined);

/** The bytes of the request's `file` part: at most 64 KB are read (one more is `icon_too_large`). */
async function iconBytes(request: FastifyRequest): Promise<Buffer> {
  let part: MultipartFile | undefined;
  try {
    part = await request.file({ limits: { fileSize: MAX_LAUNCHER_ICON_BYTES, files: 1, fields: 10, fieldSize: 1024, parts: 12, headerPairs: 20 } });
  } catch (error) {
    if (codeOf(error) === 'FST_INVALID_MULTIPART_CONTENT_TYPE') throw new ParleyError('unsupported_media_type', SEND_AS);
    throw error;
  }
  if (!part || part.fieldname !== 'file') throw new ParleyError('bad_request', SEND_AS);
  try {
    return await part.toBuffer();
  } catch (error) {
    if (codeOf(error) === 'FST_REQ_FILE_TOO_LARGE') throw new ParleyError('icon_too_large', ICON_TOO_LARGE);
    throw error;
  }
}

export async function launcherIconRoutes(parent: FastifyInstance) {
  const app = parent.withTypeProvider<TypeBoxTypeProvider>();
  const { settings, useCases } = app.services;
  await app.register(multipart);

  app.put('/settings/launcher-icon', { schema: { consumes: ['multipart/form-data'], response: { 200: SettingsSchema } } }, async (request) => {
    const bytes = await iconBytes(request);
    await useCases.settings.uploadLauncherIcon(contextOf(request), bytes);
    return { settings: await settings.describe(app.publicUrl.value) };
  });

  app.delete('/settings/launcher-icon', { schema: { response: { 200: SettingsSchema } } }, async (request) => {
    await useCases.settings.removeLauncherIcon(contextOf(request));
    return { settings: await settings.describe(app.publicUrl.value) };
  });
}

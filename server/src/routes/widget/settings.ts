/**
 * What the embedded widget reads about its own look, without a session (docs/admin-api.md, Widget):
 * `GET /api/v1/widget/settings?locale=…`, readable from any origin (app.ts's CORS policy: it is what every
 * visitor of an embedding page sees) and cached for a minute; and `GET /widget/launcher-icon/<hash>.<ext>`, the uploaded
 * launcher icon, which any page may show and every cache may keep for a year (its name changes with it).
 */
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { WidgetSettingsQuerySchema, WidgetSettingsResponseSchema } from '#shared/widget-settings.js';
import { LAUNCHER_ICON_FILE } from '../../admin/launcher-icon.js';
import { presentWidget, widgetLocaleOf } from '../../admin/widget-appearance.js';
import { ParleyError } from '../../errors.js';

const IconParamsSchema = Type.Object({ file: Type.String({ maxLength: 64 }) });

export async function widgetSettingsRoutes(parent: FastifyInstance) {
  const app = parent.withTypeProvider<TypeBoxTypeProvider>();
  const { settings } = app.services;

  app.get(
    '/api/v1/widget/settings',
    { schema: { querystring: WidgetSettingsQuerySchema, response: { 200: WidgetSettingsResponseSchema } } },
    async (request, reply) => {
      const { widget } = await settings.get();
      reply.header('cache-control', 'public, max-age=60');
      return {
        widget: presentWidget(widget, widgetLocaleOf(request.query.locale), settings.iconUrl(widget.launcherIcon, app.publicUrl.value)),
        signInMethods: [...(await settings.offeredSignInMethods())],
      };
    },
  );

  app.get('/widget/launcher-icon/:file', { schema: { params: IconParamsSchema } }, async (request, reply) => {
    const { file } = request.params;
    const icon = LAUNCHER_ICON_FILE.test(file) ? await settings.launcherIcon(file) : undefined;
    if (!icon) throw new ParleyError('not_found');
    return reply
      .header('cache-control', 'public, max-age=31536000, immutable')
      .header('cross-origin-resource-policy', 'cross-origin')
      .header('x-content-type-options', 'nosniff')
      .type(icon.type)
      .send(icon.bytes);
  });
}

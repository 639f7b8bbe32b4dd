/**
 * Headers every response of Parley carries (docs/security.md): nosniff; HSTS when the public URL is https;
 * and, for HTML that did not set its own, a Content-Security-Policy with no inline script or style, whose
 * frame-ancestors are Parley itself and the allowed embedding origins.
 */
import type { FastifyInstance } from 'fastify';

/** `frame-ancestors` for Parley's pages: itself plus PARLEY_ALLOWED_ORIGINS (`*` = any https/http page). */
export function frameAncestors(allowedOrigins: readonly string[] | null): string {
  if (allowedOrigins?.[0] === '*') return "frame-ancestors 'self' https: http:";
  return ["frame-ancestors 'self'", ...(allowedOrigins ?? [])].join(' ');
}

export const DEFAULT_HTML_CSP = "default-src 'none'; style-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'self'";

export function registerSecurityHeaders(app: FastifyInstance): void {
  app.addHook('onSend', async (_request, reply, payload) => {
    reply.header('x-content-type-options', 'nosniff');
    if (app.publicUrl.value.startsWith('https:')) reply.header('strict-transport-security', 'max-age=31536000; includeSubDomains');
    const type = String(reply.getHeader('content-type') ?? '');
    if (type.startsWith('text/html') && !reply.hasHeader('content-security-policy')) {
      reply.header('content-security-policy', `${DEFAULT_HTML_CSP}; ${frameAncestors((await app.services.settings.get()).allowedOrigins)}`);
    }
    return payload;
  });
}

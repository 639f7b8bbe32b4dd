/**
 * `GET /metrics`: the Prometheus text exposition of server/src/metrics.ts (docs/deploy.md, Metrics).
 *
 * With `PARLEY_METRICS_TOKEN` set, a scrape must send `Authorization: Bearer <token>` (compared in constant
 * time), from anywhere; anything else is 401 `metrics_token_invalid`. Without it the route answers only a
 * server bound to loopback (`HOST` 127.0.0.1, ::1 or localhost) and a request from loopback, and is 404
 * otherwise. A proxy in front forwards the internet's requests from its own address, which may well be
 * loopback, so the socket's address alone proves little:
 * - on a server that listens on another address, loopback proves nothing: 404;
 * - with `PARLEY_TRUST_PROXY` every address of the chain (the socket's and each `X-Forwarded-For` hop) must be
 *   loopback, so a client cannot pass by writing `X-Forwarded-For: 127.0.0.1` before the proxy appends its own;
 * - without it, a request that carries a forwarding header came through a proxy: 404.
 * A proxy on the same host that adds no forwarding header (nginx's default) is not told apart from a local
 * scraper: docs/deploy.md says to set the token then.
 *
 * Not in the OpenAPI description: it is the operator's, not the API's.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { sendError } from '../errors.js';

const LOOPBACK_HOSTS: ReadonlySet<string> = new Set(['127.0.0.1', '::1', '[::1]', 'localhost']);

function isLoopbackAddress(ip: string): boolean {
  return ip === '::1' || ip === '127.0.0.1' || ip === '::ffff:127.0.0.1';
}

const FORWARDING_HEADERS = ['x-forwarded-for', 'forwarded', 'x-real-ip'] as const;

/** Whether the request comes from this machine, and (as far as can be told) from no proxy in front. */
function fromLoopback(request: FastifyRequest, trustProxy: boolean): boolean {
  if (trustProxy) return (request.ips ?? [request.ip]).every(isLoopbackAddress);
  return isLoopbackAddress(request.ip) && FORWARDING_HEADERS.every((name) => request.headers[name] === undefined);
}

/** SHA-256 of both sides, so that the comparison takes the same time whatever their lengths. */
function sameToken(given: string, expected: string): boolean {
  const digest = (text: string) => createHash('sha256').update(text, 'utf8').digest();
  return timingSafeEqual(digest(given), digest(expected));
}

function bearerOf(request: FastifyRequest): string | null {
  const match = /^Bearer ([^\s]+)$/i.exec(request.headers.authorization ?? '');
  return match ? match[1]! : null;
}

export async function metricsRoutes(app: FastifyInstance) {
  const token = app.config.metricsToken;
  const boundToLoopback = LOOPBACK_HOSTS.has(app.config.host);
  app.get('/metrics', { schema: { hide: true } }, async (request, reply) => {
    reply.header('cache-control', 'no-store');
    if (token !== null) {
      const given = bearerOf(request);
      if (given === null || !sameToken(given, token)) {
        return sendError(reply.header('www-authenticate', 'Bearer'), 'metrics_token_invalid');
      }
    } else if (!boundToLoopback || !fromLoopback(request, app.config.trustProxy)) {
      return sendError(reply, 'not_found');
    }
    return reply.type(app.metrics.contentType).send(await app.metrics.render());
  });
}

/**
 * The Parley app as a Fastify instance that tests `inject` into and main.ts listens with. It registers the
 * official plugins, the services as typed decorators, one error handler, then one plugin per route area.
 * It never listens and never reads process.env.
 */
import compress from '@fastify/compress';
import cookie from '@fastify/cookie';
import cors from '@fastify/cors';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import { AjvCompiler } from '@fastify/ajv-compiler';
import { SerializerSelector, type SerializerFactory } from '@fastify/fast-json-stringify-compiler';
import { docsRoutes } from './routes/docs.js';
import { emailRoutes } from './routes/email.js';
import { createSignInLimiter, type SignInLimiter } from './auth/sign-in-limits.js';
import { createClockedStore, createSharedStore } from './rate-limit-store.js';
import { openRedisLink, type RedisLink } from './redis/link.js';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { constants as zlibConstants } from 'node:zlib';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyRequest } from 'fastify';
import type { Config } from './config.js';
import { derivePublicUrl } from './config.js';
import { ParleyError, sendError } from './errors.js';
import { createOriginPolicy, type OriginPolicy } from './origins.js';
import { redactUrl } from './redact.js';
import { authRoutes } from './routes/auth/index.js';
import { emailSignInRoutes } from './routes/auth/email.js';
import { emailLinkSignIn } from './routes/pages/email-sign-in-link.js';
import { chatRoutes } from './routes/chat/index.js';
import { eventRoutes } from './routes/chat/events.js';
import { healthRoutes } from './routes/health.js';
import { metricsRoutes } from './routes/metrics.js';
import { createMetrics, type Metrics } from './metrics.js';
import { adminRoutes } from './routes/admin/index.js';
import { tokenApiRoutes } from './routes/token-api/index.js';
import { pageRoutes } from './routes/pages/index.js';
import { demoRoutes } from './routes/pages/demo.js';
import { widgetRoutes } from './routes/widget/index.js';
import { hostedPageSignIn, SIGN_IN_PARAM } from './routes/pages/sign-in-link.js';
import { errorPageHtml } from './routes/pages/error-page.js';
import { DATABASE_RETRY_AFTER_SECONDS, isDatabaseUnavailable } from './store/unavailable.js';
import { createServices, type ServiceOptions, type Services } from './services.js';
import { registerSecurityHeaders } from './security-headers.js';
import { attachmentDownloadRoutes } from './routes/chat/attachments.js';
import { createSafeJwksFetch, type JwksFetch } from './auth/jwks.js';
import type { Store } from './store/database.js';

export interface AppOptions {
  config: Config;
  store: Store;
  /** Milliseconds since the epoch; injected so tests control time. */
  now?: () => number;
  /** Log level and destination; false (the default) logs nothing. */
  logger?: { level: string; stream?: { write(line: string): void } } | false;
  /** Interval of SSE heartbeats. */
  heartbeatMs?: number;
  /** Fetches JWK Sets (tests inject one); the default is https-only and refuses private addresses. */
  jwksFetch?: JwksFetch;
  /** The deadline of one webhook delivery (default 15 s). */
  webhookTimeoutMs?: number;
  /** Folder of the built browser assets (dist/public). */
  publicDir?: string;
  /** The prefix of Redis keys and channels (default `parley:`); tests give each their own. */
  redisKeyPrefix?: string;
  /** The assistant's deadlines (assistant/sender.ts) and, for tests, its resolver. */
  assistant?: ServiceOptions['assistant'];
}

declare module 'fastify' {
  interface FastifyInstance {
    config: Config;
    store: Store;
    now: () => number;
    services: Services;
    origins: OriginPolicy;
    signInLimiter: SignInLimiter;
    /** Redis (`PARLEY_REDIS_URL`), or null: what it shares stays per instance (redis/link.ts). */
    redis: RedisLink | null;
    /** The base of links; fixed after listen() when PORT=0 derived it. */
    publicUrl: { value: string };
    /** This app's Prometheus metrics (metrics.ts), served at GET /metrics. */
    metrics: Metrics;
  }
}

export type App = FastifyInstance;

const BODY_LIMIT_BYTES = 64 * 1024;
type SerializerCompilerFn = (route: { schema: object }) => (data: unknown) => string;

/**
 * Fastify's own schema compilers (Ajv for requests, fast-json-stringify for responses), shared by every app
 * this process builds instead of made afresh per app. Compiling every route's schemas was most of the time
 * to build an app (about 0.4 s): once per process in production, once per test file in the tests, which
 * build an app per test. Compiled functions are cached by the schema object, which is the same constant for
 * every app.
 */
const SHARED_COMPILERS = (() => {
  const serializers = SerializerSelector();
  // Keyed by the response schema alone: every app is built with the same serializer options and no shared
  // schemas (nothing here calls addSchema).
  const compiled = new WeakMap<object, (data: unknown) => string>();
  const buildSerializer: SerializerFactory = (externalSchemas, options) => {
    const build = serializers(externalSchemas, options) as unknown as SerializerCompilerFn;
    return ((route: { schema: object }) => {
      let serialize = compiled.get(route.schema);
      if (!serialize) compiled.set(route.schema, (serialize = build(route)));
      return serialize;
    }) as never;
  };
  return { buildValidator: AjvCompiler(), buildSerializer };
})();

/** JSON.parse that refuses NUL characters in any string or key, as a coded 400. */
function parseJson(text: string): unknown {
  try {
    // JSON can only spell a NUL as the escape \u0000: without one, nothing needs the (slower) reviver.
    if (!text.includes('\\u0000')) return JSON.parse(text);
    return JSON.parse(text, (key, value: unknown) => {
      // A sign-in code is judged by sign-in itself (a NUL makes it token_invalid, 401).
      if (key === 'externalAuthCode') return value;
      if (key.includes('\u0000') || (typeof value === 'string' && value.includes('\u0000'))) throw new ParleyError('bad_request', 'Text may not contain NUL characters.');
      return value;
    });
  } catch (error) {
    if (error instanceof ParleyError) throw error;
    throw Object.assign(new Error('The body is not valid JSON.'), { statusCode: 400, code: 'FST_ERR_CTP_INVALID_JSON_BODY' });
  }
}
const PARLEY_VERSION = '0.1.0';

// Request URLs may carry an externalAuthCode: the logged URL is always redacted
// (docs/external-auth.md, Logs).
function serializeRequest(request: FastifyRequest) {
  return { method: request.method, url: redactUrl(request.url), remoteAddress: request.ip };
}

export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  const { config, store } = options;
  const now = options.now ?? Date.now;
  const app = Fastify({
    logger: options.logger ? { ...options.logger, serializers: { req: serializeRequest } } : false,
    bodyLimit: BODY_LIMIT_BYTES,
    // The whole request must arrive within 5 minutes (a 10 MB upload at 35 KB/s): a client that stops
    // sending holds no socket for ever. Responses (event streams) are not bounded by it.
    requestTimeout: 300_000,
    trustProxy: config.trustProxy,
    routerOptions: { maxParamLength: 300 },
    // The router's own errors (a malformed URL, an over-long parameter) answer in Parley's shape and never
    // echo the URL, which may hold a token.
    frameworkErrors: (error, _request, reply) => {
      void sendError(reply, error.code === 'FST_ERR_MAX_PARAM_LENGTH' ? 'not_found' : 'bad_request');
    },
    // Unknown fields are an error (400), not silently dropped.
    ajv: { customOptions: { removeAdditional: false } },
    schemaController: { compilersFactory: SHARED_COMPILERS },
  }).withTypeProvider<TypeBoxTypeProvider>();

  const publicUrl = { value: derivePublicUrl(config, config.port) };
  app.decorate('config', config);
  app.decorate('store', store);
  app.decorate('now', now);
  app.decorate('publicUrl', publicUrl);
  const metrics = createMetrics();
  app.decorate('metrics', metrics);
  const redis = config.redis ? openRedisLink(config.redis, { ...(options.redisKeyPrefix ? { prefix: options.redisKeyPrefix } : {}), log: app.log, onError: metrics.redisError }) : null;
  app.decorate('redis', redis);
  if (redis) {
    app.addHook('onClose', () => redis.close());
    // Up within a second at boot, else the app starts counting per instance and says so (redis/link.ts).
    await redis.whenAvailable(1000);
  }
  const jwksFetch = options.jwksFetch ?? createSafeJwksFetch({ allowPrivate: config.jwksAllowPrivate });
  app.decorate('services', createServices({ config, store, now, publicUrl: () => publicUrl.value, jwksFetch, redis, ...(options.webhookTimeoutMs ? { webhookTimeoutMs: options.webhookTimeoutMs } : {}), assistant: {
    ...options.assistant,
    // The provider's failures are the operator's to see; their messages never carry the key (assistant/provider.ts).
    onFailure: (replyId, error) => app.log.warn({ replyId, failure: error.failure, statusCode: error.statusCode }, `assistant reply failed: ${error.message}`),
  }, metrics, onBackgroundError: (error) => {
    if (isDatabaseUnavailable(error)) metrics.databaseError('background');
    app.log.error({ err: error }, 'background work failed');
  } }));
  app.decorate('origins', createOriginPolicy(app.services.settings, () => publicUrl.value));
  const stopBackground = await app.services.start();
  app.addHook('onClose', async () => {
    await stopBackground();
  });
  app.decorateRequest('session', null);

  // Before any plugin registers routes (CORS adds OPTIONS *), so that every route answers errors alike.
  app.setErrorHandler((error: FastifyError, request, reply) => {
    // The database is unreachable for now (a restart, a failover): a 503 to retry, never a 500; a page (the
    // hosted page's sign-in included) answers it as an HTML error page.
    if (isDatabaseUnavailable(error) || (error instanceof ParleyError && error.code === 'database_unavailable')) {
      metrics.databaseError('request');
      request.log.warn({ err: error, url: redactUrl(request.url) }, 'database unavailable');
      reply.header('retry-after', String(DATABASE_RETRY_AFTER_SECONDS)).header('cache-control', 'no-store');
      const page = (request.method === 'GET' || request.method === 'HEAD') && !request.url.startsWith('/api/');
      if (page && ((request.headers.accept ?? '').includes('text/html') || Object.hasOwn((request.query as object | undefined) ?? {}, SIGN_IN_PARAM))) {
        return reply.code(503).type('text/html; charset=utf-8').send(errorPageHtml('database_unavailable'));
      }
      return sendError(reply, 'database_unavailable');
    }
    if (error instanceof ParleyError) {
      if (error.retryAfterSeconds !== undefined) reply.header('retry-after', String(error.retryAfterSeconds));
      return sendError(reply, error.code, error.message);
    }
    if (error.validation) return sendError(reply, 'bad_request', `${error.validationContext ?? 'request'}${error.message.replace(/^(body|querystring|params|headers)/, '')}`);
    switch (error.code) {
      case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
        return sendError(reply, 'unsupported_media_type');
      case 'FST_ERR_CTP_BODY_TOO_LARGE':
        return sendError(reply, 'payload_too_large');
      case 'FST_ERR_CTP_INVALID_JSON_BODY':
      case 'FST_ERR_CTP_EMPTY_JSON_BODY':
        return sendError(reply, 'bad_request', 'The body is not valid JSON.');
    }
    if (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500) return sendError(reply, 'bad_request');
    request.log.error({ err: error, url: redactUrl(request.url) }, 'unexpected error');
    return sendError(reply, 'internal_error');
  });

  // The API speaks JSON only; a text/plain body (a "simple" cross-site request) is refused with 415.
  app.removeContentTypeParser('text/plain');
  // JSON whose strings hold NUL characters is refused: PostgreSQL cannot store them, and no client needs them.
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    try {
      done(null, parseJson(body as string));
    } catch (error) {
      done(error as Error, undefined);
    }
  });
  // By route pattern, never the URL (unbounded, and it may hold a token). A hijacked reply (an event stream)
  // has no onResponse.
  app.addHook('onResponse', async (request, reply) => {
    metrics.httpRequest(request.method, request.routeOptions.url, reply.statusCode, reply.elapsedTime / 1000);
  });
  app.addHook('onRequest', async (request) => {
    // Only a NUL outside a redacted token is refused here (one inside is the sign-in's token_invalid).
    if (/%00/i.test(request.url) && /%00/i.test(redactUrl(request.url))) throw new ParleyError('bad_request', 'The URL may not contain NUL characters.');
  });
  await app.register(cookie);
  // Counters read the app's clock (injected in tests), like everything else that keeps time; with Redis they
  // are shared by every instance.
  await app.register(rateLimit, { global: false, store: redis ? createSharedStore(now, redis) : createClockedStore(now) });
  app.decorate('signInLimiter', createSignInLimiter(app, { perAddress: config.signInRateLimit, perKey: config.signInRateLimitPerKey }));
  const corsCommon = {
    credentials: false,
    methods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'],
    allowedHeaders: ['Authorization', 'Content-Type', 'Last-Event-ID'],
    maxAge: 600,
    // A malformed preflight is not an error to report: it simply gets no CORS headers.
    strictPreflight: false,
  };
  await app.register(cors, {
    // Browsers on allowed origins may call the API with a bearer session; cookies stay first-party. Two
    // routes answer every origin: the exchange, so that a page outside the allowlist can read its 403
    // `origin_not_allowed` (the route refuses it; no credentials travel, nothing is readable but the error),
    // and the widget's public appearance (what any visitor of any page embedding it sees anyway).
    delegator: (request, callback) => {
      const origin = request.headers.origin;
      const path = request.url.split('?')[0];
      const anyOrigin = path === '/api/v1/auth/exchange' || path === '/api/v1/widget/settings';
      if (origin === undefined || anyOrigin) return callback(null, { ...corsCommon, origin: origin !== undefined });
      app.origins.isAllowed(origin).then(
        (allowed) => callback(null, { ...corsCommon, origin: allowed }),
        (error: Error) => callback(error, { ...corsCommon, origin: false }),
      );
    },
  });

  // Responses over 1 KB (API JSON, HTML pages) are compressed for clients that accept it; brotli at quality 4,
  // near gzip's CPU cost. Not compressed here: event streams (written to the socket after hijack, and
  // text/event-stream is not a compressible type), nor the embed and /assets/ files, which were
  // compressed at build time and carry their Content-Encoding. Request bodies are not decompressed.
  await app.register(compress, {
    threshold: 1024,
    encodings: ['br', 'gzip'],
    brotliOptions: { params: { [zlibConstants.BROTLI_PARAM_QUALITY]: 4 } },
    globalDecompression: false,
  });

  app.setNotFoundHandler((request, reply) => {
    if (request.method === 'GET' && !request.url.startsWith('/api/') && (request.headers.accept ?? '').includes('text/html')) {
      return reply.code(404).type('text/html; charset=utf-8').send('<!doctype html><meta charset="utf-8"><title>Not found</title><p>Not found.</p>');
    }
    return sendError(reply, 'not_found');
  });

  registerSecurityHeaders(app);
  // Collects every route's schemas from here on into the OpenAPI description served at /docs.
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: { title: 'Parley API', version: PARLEY_VERSION },
      components: {
        securitySchemes: {
          session: { type: 'http', scheme: 'bearer', description: 'A session token from POST /api/v1/auth/exchange' },
          cookie: { type: 'apiKey', in: 'cookie', name: 'parley_session' },
          adminApiKey: { type: 'apiKey', in: 'header', name: 'X-API-KEY' },
        },
      },
    },
    transform: ({ schema, url }) => ({ schema: { ...(schema as object), hide: !(url.startsWith('/api/') || url.startsWith('/v1/') || url.startsWith('/v2/') || url === '/healthz') } as never, url }),
  });
  app.addHook('onRequest', hostedPageSignIn);
  app.addHook('onRequest', emailLinkSignIn);
  await app.register(healthRoutes);
  await app.register(metricsRoutes);
  await app.register(authRoutes, { prefix: '/api/v1' });
  await app.register(emailSignInRoutes, { prefix: '/api/v1' });
  await app.register(chatRoutes, { prefix: '/api/v1' });
  await app.register(attachmentDownloadRoutes, { prefix: '/api/v1' });
  await app.register(adminRoutes, { prefix: '/api/v1/admin' });
  await app.register(tokenApiRoutes);
  await app.register(eventRoutes, { prefix: '/api/v1', heartbeatMs: options.heartbeatMs ?? 15_000 });
  await app.register(pageRoutes, { publicDir: options.publicDir });
  await app.register(widgetRoutes, { publicDir: options.publicDir });
  await app.register(demoRoutes);
  await app.register(emailRoutes);
  await app.register(docsRoutes);
  return app;
}

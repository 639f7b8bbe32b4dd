/**
 * Builds every service from the store and configuration, once per app. Routes receive them as typed
 * decorators; tests can build them alone.
 */
import type { Config } from './config.js';
import { createKeyRing } from './auth/key-ring.js';
import { createSessionAuth } from './auth/session-auth.js';
import { createSignIn } from './auth/sign-in.js';
import { createEmailSignIn } from './auth/email-sign-in.js';
import { createAccessControl } from './chat/access.js';
import { changesOf } from './store/changes.js';
import { createChatService } from './chat/chat-service.js';
import { createEventBus } from './chat/event-bus.js';
import { startClusterFanout, type EventHorizon } from './chat/cluster-fanout.js';
import { startEventRetention } from './chat/event-retention.js';
import { createSignals } from './chat/signals.js';
import type { RedisLink } from './redis/link.js';
import { relaySessionEnds } from './redis/session-ends.js';
import { startSnoozeWaker } from './chat/snooze-waker.js';
import { createConversationRepository } from './store/conversations.js';
import type { Store } from './store/database.js';
import { createEventRepository } from './store/events.js';
import { createKeyRepository } from './store/keys.js';
import { createMessageRepository } from './store/messages.js';
import { createSearchRepository } from './store/search.js';
import { createPresenceRepository } from './store/presence.js';
import { createRevokedSessionRepository } from './store/sessions.js';
import { createSessions } from './auth/sessions.js';
import { createInstanceSecretRepository } from './store/instance-secrets.js';
import { createUserRepository } from './store/users.js';
import { createJtiRepository } from './store/jtis.js';
import { createMintKeyRepository } from './store/mint-keys.js';
import { createGrantRepository } from './store/grants.js';
import { createOrganizationRepository } from './store/organizations.js';
import { createApiCredentialRepository } from './store/api-credentials.js';
import { createSettings } from './admin/settings.js';
import { createAdminLinks } from './admin/admin-links.js';
import { createUserAdmin } from './admin/users.js';
import { createInbox } from './admin/inbox.js';
import { createCustomerLookup } from './admin/customer.js';
import { createAuditRepository } from './store/audit.js';
import { createAuditTrail } from './admin/audit.js';
import { createAdminAuth } from './admin/admin-auth.js';
import { createAdminApiKeyRepository } from './store/admin-api-keys.js';
import { createAdminLinkRepository } from './store/admin-links.js';
import type { JwksFetch } from './auth/jwks.js';
import { createUseCases } from './use-cases/index.js';
import { createOutboxRepository } from './store/outbox.js';
import { createOutboxWorker } from './outbound/worker.js';
import { createOutboundSenders } from './outbound/senders.js';
import { createMailTransport, defaultMailFrom } from './outbound/mail-sender.js';
import { createNotificationScheduler } from './outbound/notifications.js';
import type { Metrics } from './metrics.js';
import { createChatAssistant, ASSISTANT_REPLY_KIND } from './assistant/chat-hook.js';
import { createReplyRegistry } from './assistant/registry.js';
import { createAssistantRunner } from './assistant/runner.js';
import { gateNudges, nudgeForEvent } from './outbound/nudge-gate.js';
import { createAssistantSender, DEFAULT_TIMEOUTS, type AssistantTimeouts } from './assistant/sender.js';
import { createAssistantWrites } from './assistant/writes.js';
import { createAssistantRepository } from './store/assistants.js';
import { createAssistantUseCases } from './use-cases/assistants.js';
import { createAudited } from './use-cases/audited.js';
import type { Resolve } from './outbound/http.js';
import type { ProviderError } from './assistant/provider.js';
import { createBlobStore } from './storage/blob-store.js';
import { createAttachmentRepository } from './store/attachments.js';
import { createAttachmentUseCases } from './use-cases/attachments.js';

/** How often files that should go (deleted messages', abandoned uploads') are removed. */
const ATTACHMENT_SWEEP_MS = 60_000;

export interface ServiceOptions {
  config: Config;
  store: Store;
  now: () => number;
  publicUrl: () => string;
  /** Fetches JWK Sets; the default refuses non-https URLs and private addresses. */
  jwksFetch: JwksFetch;
  /** The deadline of one webhook delivery (default 15 s). */
  webhookTimeoutMs?: number;
  /** Where the background work's failures are told (the app's log). */
  onBackgroundError?: (error: unknown) => void;
  /** Redis, when configured: signals, presence and session ends go through it (redis/). */
  redis?: RedisLink | null;
  /** The app's metrics (metrics.ts): messages, outbox sends and backlog. */
  metrics?: Metrics;
  /** The assistant's deadlines (assistant/sender.ts DEFAULT_TIMEOUTS) and, for tests, its resolver. */
  assistant?: Partial<AssistantTimeouts> & { resolve?: Resolve; /** Told of each reply the provider failed (the log). */ onFailure?: (replyId: string, error: ProviderError) => void; /** Replies this instance streams at once (default 32; 0: none, another instance does). */ concurrency?: number };
}

export function createServices(options: ServiceOptions) {
  const { config, store, now, publicUrl, jwksFetch } = options;
  const users = createUserRepository(store);
  const keys = createKeyRepository(store);
  const sessions = createSessions({ secrets: createInstanceSecretRepository(store), revoked: createRevokedSessionRepository(store), users, now });
  const conversations = createConversationRepository(store);
  const messages = createMessageRepository(store);
  const events = createEventRepository(store);
  const bus = createEventBus({ relayed: store.dialect === 'postgres' });
  const grants = createGrantRepository(store);
  const access = createAccessControl({ conversations, grants, changes: changesOf(store), now });
  const redis = options.redis ?? null;
  const signals = createSignals({ store, conversations, redis });
  const jtis = createJtiRepository(store);
  const mintKeys = createMintKeyRepository(store);
  const organizations = createOrganizationRepository(store);
  const keyRing = createKeyRing({ envSecret: config.externalAuthSecret, keys, jwksFetch, now });
  const adminSettings = createSettings({ store, config, now });
  const audit = createAuditRepository(store);
  const adminApiKeys = createAdminApiKeyRepository(store);
  const adminLinks = createAdminLinks({ links: createAdminLinkRepository(store), users, settings: adminSettings, now });
  const useCases = createUseCases({ store, audit, bus, settings: adminSettings, adminLinks, sessions, users, now, webhooksAllowPrivate: config.webhooksAllowPrivate });
  const outbox = createOutboxRepository(store);
  options.metrics?.watchOutbox(() => outbox.counts());
  const mailTransport = createMailTransport(async () => {
    const s = await adminSettings.get();
    return { smtp: s.smtp, from: s.mailFrom ?? defaultMailFrom(publicUrl()) };
  });
  // The assistant (docs/assistant.md): its replies are outbox rows sent by a worker of their own.
  const { resolve: _resolve, onFailure: assistantFailed, concurrency: assistantLanes, ...timeouts } = options.assistant ?? {};
  const assistantTimeouts: AssistantTimeouts = { ...DEFAULT_TIMEOUTS, ...timeouts };
  const assistantResolve = options.assistant?.resolve;
  const notifications = createNotificationScheduler({ store, config });
  const replyRegistry = createReplyRegistry();
  const assistantWrites = createAssistantWrites({ events, conversations, notifications });
  const assistantRunner = createAssistantRunner({
    outbox,
    sender: createAssistantSender({ store, bus, signals, conversations, presence: createPresenceRepository(store, redis), writes: assistantWrites, registry: replyRegistry, now, timeouts: assistantTimeouts, ...(assistantResolve ? { resolve: assistantResolve } : {}), ...(assistantFailed ? { onFailure: assistantFailed } : {}), ...(options.metrics ? { metrics: options.metrics } : {}) }),
    now,
    onStop: () => replyRegistry.stopAll(),
    ...(assistantLanes !== undefined ? { concurrency: assistantLanes } : {}),
    ...(options.onBackgroundError ? { onError: options.onBackgroundError } : {}),
  });
  const assistantUseCases = createAssistantUseCases({ audited: createAudited({ store, audit, now }), store, bus, access, writes: assistantWrites, registry: replyRegistry, timeouts: assistantTimeouts, now, ...(assistantResolve ? { resolve: assistantResolve } : {}) });
  const outboundWorker = createOutboxWorker({ excludeKinds: [ASSISTANT_REPLY_KIND], outbox, senders: createOutboundSenders({ config, store, outbox, now, publicUrl, settings: adminSettings, mail: mailTransport, ...(options.webhookTimeoutMs ? { webhookTimeoutMs: options.webhookTimeoutMs } : {}) }), now, onError: options.onBackgroundError, ...(options.metrics ? { onSent: options.metrics.outboxSent } : {}) });
  const requireSession = createSessionAuth({ sessions, now, ownOrigin: () => new URL(publicUrl()).origin });
  const eventHorizon: EventHorizon = { through: null };
  const attachments = createAttachmentUseCases({
    attachments: createAttachmentRepository(store),
    messages,
    blobs: createBlobStore(config.fileStorage, store),
    access,
    limits: { maxUploadBytes: config.maxUploadBytes, uploadQuotaBytes: config.uploadQuotaBytes },
    now,
    ...(options.onBackgroundError ? { onError: options.onBackgroundError } : {}),
  });
  return {
    /**
     * Starts what runs in the background (the cluster fan-out and signals on PostgreSQL, event retention, the
     * end of snoozes, session ends over Redis, the outbox's worker); answers the stop function.
     */
    async start(): Promise<() => Promise<void>> {
      const stopFanout = store.dialect === 'postgres' ? await startClusterFanout({ store, events, conversations, bus, changes: changesOf(store), horizon: eventHorizon, ...(options.onBackgroundError ? { onError: options.onBackgroundError } : {}) }) : async () => undefined;
      const stopRetention = startEventRetention({ events, now, retentionMs: config.eventRetentionSeconds * 1000, ...(options.onBackgroundError ? { onError: options.onBackgroundError } : {}) });
      const stopSignals = await signals.start();
      const stopSessionEnds = redis ? relaySessionEnds(bus, redis) : () => undefined;
      const stopWaker = startSnoozeWaker({ wake: () => useCases.conversations.wakeSnoozed(), ...(options.onBackgroundError ? { onError: options.onBackgroundError } : {}) });
      const stopOutbound = outboundWorker.start();
      // The snooze waker's loop (rounds that never overlap, a failure left to the next) suits the sweep too.
      const stopSweeper = startSnoozeWaker({ wake: () => attachments.sweep(), intervalMs: ATTACHMENT_SWEEP_MS, ...(options.onBackgroundError ? { onError: options.onBackgroundError } : {}) });
      const stopAssistant = assistantRunner.start();
      // An event committed may have rows in the outbox (webhook deliveries): send them now, not at the next
      // poll; a message may come with a reply for the assistant (assistant/runner.ts), which starts once its
      // message has reached this instance's streams. At most a nudge per gap for each worker
      // (outbound/nudge-gate.ts): under load, most would claim nothing.
      const outboundGate = gateNudges(() => outboundWorker.nudge());
      const assistantGate = gateNudges(() => assistantRunner.nudge());
      const assistantList = createAssistantRepository(store);
      const unsubscribe = bus.subscribe(({ event }) =>
        nudgeForEvent(event.type, { outbound: outboundGate, assistant: assistantGate }, async () => (await assistantList.list()).length > 0),
      );
      return async () => {
        unsubscribe();
        outboundGate.stop();
        assistantGate.stop();
        await stopAssistant();
        await stopSweeper();
        await stopOutbound();
        mailTransport.close();
        await stopWaker();
        await stopRetention();
        stopSessionEnds();
        await stopSignals();
        await stopFanout();
      };
    },
    /** Everything that leaves Parley, and its sender (store/outbox.ts, outbound/worker.ts). */
    outbox,
    outboundWorker,
    /** Uploading, reading and sweeping attached files (use-cases/attachments.ts). */
    attachments,
    /** The application layer (use-cases/): the only door through which administrative changes are made. */
    useCases,
    settings: adminSettings,
    audit,
    auditTrail: createAuditTrail(audit, now),
    adminLinks,
    userAdmin: createUserAdmin({ users }),
    inbox: createInbox({ conversations, messages, search: createSearchRepository(store), store }),
    customers: createCustomerLookup({ access, conversations, users, organizations }),
    users,
    keys,
    sessions,
    events,
    /** On PostgreSQL, how far the cluster fan-out has published every event: streams replay only up to it. */
    eventHorizon,
    bus,
    access,
    mintKeys,
    grants,
    organizations,
    apiCredentials: createApiCredentialRepository(store),
    signIn: createSignIn({ keyRing, keys, jtis, users, sessions, settings: adminSettings.get, requireJti: config.requireJti, now, mintKeys, organizations, grants, issuer: publicUrl }),
    /** Sign-in by an emailed code or link (auth/email-sign-in.ts). */
    emailSignIn: createEmailSignIn({ store, users, sessions, settings: adminSettings, publicUrl, now }),
    /** The assistant: its use cases (admin, hand-off, stop) and the worker of its replies (assistant/). */
    assistant: { useCases: assistantUseCases, runner: assistantRunner },
    chat: createChatService({ store, conversations, messages, events, access, bus, signals, now, notifications, assistant: createChatAssistant({ store, writes: assistantWrites, registry: replyRegistry }), ...(options.metrics ? { onMessagePosted: options.metrics.messagePosted } : {}) }),
    /** Live signals (typing) for the event streams: chat/signals.ts. */
    signals,
    /** Whether the team is online: administrators' open panels (store/presence.ts). */
    presence: createPresenceRepository(store, redis),
    /** The key /demo signs with: the environment's, else the newest active stored HS256 key. */
    async signingKeyForDemo(): Promise<{ kid: string; secret: Uint8Array } | null> {
      if (config.externalAuthSecret) return { kid: 'env', secret: config.externalAuthSecret };
      const hs256 = (await keys.listActive()).find((k) => k.alg === 'HS256' && k.secret !== null);
      return hs256 ? { kid: hs256.kid, secret: new TextEncoder().encode(hs256.secret!) } : null;
    },
    requireSession,
    adminApiKeys,
    requireAdministrator: createAdminAuth({ requireSession, apiKeys: adminApiKeys, users, now }),
  };
}

export type Services = ReturnType<typeof createServices>;

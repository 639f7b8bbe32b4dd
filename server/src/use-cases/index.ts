/**
 * The application layer: one function per use case, each taking a `Context` (the actor and where the
 * request came from). They are the only code that changes administrative data, and each writes its audit
 * entry in the transaction of its change (audited.ts). Routes and the CLI parse, call one, and render.
 */
import type { AdminLinks } from '../admin/admin-links.js';
import type { Settings } from '../admin/settings.js';
import type { EventBus } from '../chat/event-bus.js';
import type { Sessions } from '../auth/sessions.js';
import type { UserRepository } from '../store/users.js';
import type { AuditRepository } from '../store/audit.js';
import type { Store } from '../store/database.js';
import { createAdminLinkUseCases } from './admin-links.js';
import { createAudited } from './audited.js';
import { createCannedReplyUseCases } from './canned-replies.js';
import { createConversationUseCases } from './conversations.js';
import { createCredentialUseCases } from './credentials.js';
import { createKeyUseCases } from './keys.js';
import { createMessageUseCases } from './messages.js';
import { createProfileUseCases } from './profile.js';
import { createSettingsUseCases } from './settings.js';
import { createTenantUserUseCases } from './tenant-users.js';
import { createUserUseCases } from './users.js';
import { createWebhookUseCases } from './webhooks.js';

export function createUseCases(deps: { store: Store; audit: AuditRepository; bus: EventBus; settings: Settings; adminLinks: AdminLinks; sessions: Sessions; users: UserRepository; now: () => number; webhooksAllowPrivate?: boolean }) {
  const audited = createAudited(deps);
  const seatLimit = async () => (await deps.settings.get()).seatLimit;
  return {
    keys: createKeyUseCases({ audited, now: deps.now }),
    credentials: createCredentialUseCases({ audited, now: deps.now }),
    users: createUserUseCases({ audited, bus: deps.bus, seatLimit, now: deps.now }),
    tenantUsers: createTenantUserUseCases({ audited, bus: deps.bus, seatLimit, now: deps.now }),
    settings: createSettingsUseCases({ audited, settings: deps.settings }),
    adminLinks: createAdminLinkUseCases({ audited, adminLinks: deps.adminLinks, sessions: deps.sessions, users: deps.users, now: deps.now }),
    profile: createProfileUseCases({ audited }),
    cannedReplies: createCannedReplyUseCases({ audited, now: deps.now }),
    conversations: createConversationUseCases({ audited, store: deps.store, bus: deps.bus, now: deps.now }),
    messages: createMessageUseCases({ audited, store: deps.store, bus: deps.bus, now: deps.now }),
    webhooks: createWebhookUseCases({ audited, store: deps.store, allowPrivate: deps.webhooksAllowPrivate ?? false, now: deps.now }),
  };
}

export type UseCases = ReturnType<typeof createUseCases>;

/**
 * The assistant's use cases (docs/assistant.md): administrators of the instance configure assistants
 * (`assistant.create|update|delete`, audited; the API key is stored, never answered nor logged), read their
 * usage and try them; a user hands their conversation to the team or stops a reply; an administrator takes a
 * conversation over (`conversation.take_over`, audited). A base URL on a private or loopback address is
 * refused (`assistant_url_refused`) unless the assistant's `allowPrivateAddress`, by outbound/http.ts's rule.
 */
import type { Conversation } from '#shared/api.js';
import { isAdministrator, isInstanceAdministrator, type AccessControl } from '../chat/access.js';
import type { EventBus } from '../chat/event-bus.js';
import { presentConversation } from '../chat/present.js';
import { ParleyError } from '../errors.js';
import { checkOutboundUrl, OutboundError, resolveOutboundHost, type Resolve } from '../outbound/http.js';
import { createAssistantRepository, utcDay, type AssistantInput, type AssistantPatch, type AssistantRow } from '../store/assistants.js';
import type { Store } from '../store/database.js';
import type { EventRow } from '../store/events.js';
import { createMessageRepository } from '../store/messages.js';
import type { UserRow } from '../store/users.js';
import { lookupIn } from '../assistant/directory.js';
import { completionOf, ProviderError, streamCompletion } from '../assistant/provider.js';
import type { ReplyRegistry } from '../assistant/registry.js';
import type { AssistantTimeouts } from '../assistant/sender.js';
import { localeOf, noticeText } from '../assistant/texts.js';
import type { AssistantWrites } from '../assistant/writes.js';
import { actingUserOf, rightsOf, type Context } from './actor.js';
import type { Audited } from './audited.js';

/** What the test endpoint asks the model. */
const TEST_PROMPT = 'Say hello in one short sentence.';

export interface AssistantTestResult {
  reply: string;
  firstTokenMs: number;
}

/** A provider failure as the test endpoint answers it: 504 for a timeout, 503 unreachable, 502 otherwise. */
export class AssistantUnavailable extends Error {
  override name = 'AssistantUnavailable';
  constructor(
    readonly statusCode: 502 | 503 | 504,
    message: string,
  ) {
    super(message);
  }
}

export function createAssistantUseCases(deps: {
  audited: Audited;
  store: Store;
  bus: EventBus;
  access: AccessControl;
  writes: AssistantWrites;
  registry: ReplyRegistry;
  timeouts: AssistantTimeouts;
  now: () => number;
  resolve?: Resolve;
}) {
  const { audited, store, now } = deps;
  const assistants = createAssistantRepository(store);

  const requireInstanceAdministrator = (ctx: Context) => {
    if (rightsOf(ctx.actor) === 'member') throw new ParleyError('admin_required');
    const user = actingUserOf(ctx.actor);
    if (user && !isInstanceAdministrator(user)) throw new ParleyError('admin_required');
  };

  /** The base URL by outbound/http.ts's rules; a private address only with `allowPrivate`. */
  async function checkBaseUrl(raw: string, allowPrivate: boolean): Promise<string> {
    let url: URL;
    try {
      url = checkOutboundUrl(raw, ['http:', 'https:']);
    } catch (error) {
      if (error instanceof OutboundError) throw new ParleyError('bad_request', `baseUrl ${error.reason === 'credentials' ? 'must not carry credentials' : 'must be an http or https URL'}`);
      throw error;
    }
    if (url.search || url.hash) throw new ParleyError('bad_request', 'baseUrl must have no query or fragment');
    try {
      await resolveOutboundHost(url, allowPrivate, deps.resolve);
    } catch (error) {
      if (error instanceof OutboundError && error.reason === 'private_address') throw new ParleyError('assistant_url_refused', 'baseUrl is, or resolves to, a private or loopback address (allowPrivateAddress is off)');
      // A host that does not resolve now is accepted: its replies fail until it does, and the test endpoint says so.
      if (!(error instanceof OutboundError && error.reason === 'unresolved')) throw error;
    }
    return raw.replace(/\/+$/, '');
  }

  async function checkOrganizations(ids: readonly string[] | null | undefined): Promise<void> {
    if (!ids || ids.length === 0) return;
    const found = await store.db.selectFrom('organizations').select('id').where('id', 'in', ids).execute();
    if (found.length !== new Set(ids).size) throw new ParleyError('bad_request', 'organizationIds names an organization that does not exist');
  }

  async function own(id: string, tx: Store = store): Promise<AssistantRow> {
    const row = await createAssistantRepository(tx).findById(id, tx.db);
    if (!row) throw new ParleyError('assistant_not_found');
    return row;
  }

  /** Stops the conversation's reply in progress, here at once and elsewhere at its next check. */
  function stopLocal(conversationId: string): void {
    deps.registry.stopConversation(conversationId);
  }

  async function present(tx: Store, conversationId: string): Promise<Conversation> {
    const row = (await tx.db.selectFrom('conversations').selectAll().where('id', '=', conversationId).executeTakeFirst())!;
    const last = await createMessageRepository(tx).lastOf([conversationId]);
    return presentConversation(row, last.get(conversationId), lookupIn(await createAssistantRepository(tx).listWith(tx.db)));
  }

  return {
    async list(ctx: Context): Promise<readonly AssistantRow[]> {
      requireInstanceAdministrator(ctx);
      return assistants.list();
    },

    async create(ctx: Context, input: AssistantInput): Promise<AssistantRow> {
      requireInstanceAdministrator(ctx);
      const baseUrl = await checkBaseUrl(input.baseUrl, input.allowPrivateAddress);
      await checkOrganizations(input.organizationIds);
      const row = await audited(ctx, 'assistant.create', null, (tx) => createAssistantRepository(tx).create(tx.db, { ...input, baseUrl }, now()), (r) => r.id);
      assistants.forget();
      return row;
    },

    async update(ctx: Context, id: string, patch: AssistantPatch): Promise<AssistantRow> {
      requireInstanceAdministrator(ctx);
      const before = await own(id);
      const allowPrivate = patch.allowPrivateAddress ?? before.allowPrivateAddress;
      // Turning allowPrivateAddress off checks the URL kept as well.
      const baseUrl = patch.baseUrl !== undefined || patch.allowPrivateAddress === false ? await checkBaseUrl(patch.baseUrl ?? before.baseUrl, allowPrivate) : undefined;
      // The stored key goes only where it went: pointing the assistant at another host takes the key again.
      if (baseUrl !== undefined && patch.apiKey === undefined && new URL(baseUrl).origin !== new URL(before.baseUrl).origin) {
        throw new ParleyError('bad_request', 'A base URL on another host needs its API key again (apiKey): the stored key is never sent to another host.');
      }
      await checkOrganizations(patch.organizationIds);
      const row = await audited(ctx, 'assistant.update', id, async (tx) => {
        await own(id, tx);
        return (await createAssistantRepository(tx).update(tx.db, id, { ...patch, ...(baseUrl !== undefined ? { baseUrl } : {}) }, now()))!;
      });
      assistants.forget();
      return row;
    },

    async delete(ctx: Context, id: string): Promise<void> {
      await audited(ctx, 'assistant.delete', id, async (tx) => {
        requireInstanceAdministrator(ctx);
        await own(id, tx);
        await createAssistantRepository(tx).delete(tx.db, id);
      });
      assistants.forget();
    },

    /** The day's usage (`YYYY-MM-DD`, UTC; default today) by user and by organization, most tokens first. */
    async usage(ctx: Context, id: string, day: string | undefined) {
      requireInstanceAdministrator(ctx);
      await own(id);
      const d = day ?? utcDay(now());
      return { day: d, ...(await assistants.usageReport(id, d)) };
    },

    /** Asks the model one short question; a failure is `AssistantUnavailable` saying what the provider answered. */
    async test(ctx: Context, id: string): Promise<AssistantTestResult> {
      requireInstanceAdministrator(ctx);
      const assistant = await own(id);
      const started = performance.now();
      let firstTokenMs: number | null = null;
      let reply = '';
      const controller = new AbortController();
      const timer = setTimeout(() => controller.abort(), deps.timeouts.firstTokenMs);
      try {
        const question = [
          { role: 'system' as const, content: assistant.systemPrompt },
          { role: 'user' as const, content: TEST_PROMPT },
        ];
        for await (const piece of streamCompletion(completionOf(assistant, question, { totalTimeoutMs: deps.timeouts.totalMs, signal: controller.signal, resolve: deps.resolve }))) {
          if (piece.delta === undefined) continue;
          if (firstTokenMs === null) {
            firstTokenMs = Math.round((performance.now() - started) * 10) / 10;
            clearTimeout(timer);
          }
          reply += piece.delta;
        }
      } catch (error) {
        if (!(error instanceof ProviderError)) throw error;
        if (controller.signal.aborted && firstTokenMs === null) throw new AssistantUnavailable(504, `The provider sent no first token within ${deps.timeouts.firstTokenMs} ms.`);
        const status = error.failure === 'timeout' ? 504 : error.failure === 'connect' || error.failure === 'refused' ? 503 : 502;
        throw new AssistantUnavailable(status, `${error.message.charAt(0).toUpperCase()}${error.message.slice(1)}.`);
      } finally {
        clearTimeout(timer);
      }
      if (firstTokenMs === null || reply.trim() === '') throw new AssistantUnavailable(502, 'The provider answered no text.');
      return { reply, firstTokenMs };
    },

    /**
     * "Talk to a person": the reply in progress stops, the conversation is open, unassigned and no longer the
     * assistant's, a system message says so (in the user's language), and the team is alerted as for a new
     * message. Asking again, or where no assistant answers, changes nothing.
     */
    async handOff(user: UserRow, conversationId: string): Promise<Conversation> {
      const conversation = await deps.access.requireConversation(user, conversationId, 'write');
      const at = now();
      const { conversation: shown, published } = await store.db.transaction().execute(async (trx) => {
        const tx: Store = { ...store, db: trx, root: store.root ?? store };
        const repo = createAssistantRepository(tx);
        await repo.requestStop(trx, conversationId, at);
        const assistantOf = lookupIn(await repo.listWith(trx));
        const before = (await trx.selectFrom('conversations').select(['assistant_off_at', 'status', 'assignee_id']).where('id', '=', conversationId).executeTakeFirst())!;
        const published: EventRow[] = [];
        // Only a conversation the assistant answers is handed over: anywhere else (no assistant, one taken
        // over or handed over already) this changes nothing, least of all an assignment a person made.
        if (before.assistant_off_at === null && assistantOf({ ...conversation, assistant_off_at: null }) !== null) {
          // The notice first, then the conversation as it now is (its last message the notice).
          published.push(...(await deps.writes.systemMessage(trx, conversation, noticeText('handed_off', localeOf(user)), at)));
          published.push(...(await deps.writes.handOff(trx, conversationId, { toTeam: true, userId: isAdministrator(user) ? null : user.id, assistantOf }, at)).events);
        }
        return { conversation: await present(tx, conversationId), published };
      });
      stopLocal(conversationId);
      await deps.writes.publishAll(deps.bus, conversationId, published);
      return shown;
    },

    /** An administrator answers from now on: the assistant stops (its reply in progress too) in this conversation. */
    async takeOver(ctx: Context, conversationId: string): Promise<Conversation> {
      const admin = actingUserOf(ctx.actor);
      if (!admin || !isAdministrator(admin)) throw new ParleyError('admin_required');
      await deps.access.requireConversation(admin, conversationId, 'read');
      const at = now();
      const { shown, published } = await audited(ctx, 'conversation.take_over', conversationId, async (tx) => {
        const repo = createAssistantRepository(tx);
        await repo.requestStop(tx.db, conversationId, at);
        const { events } = await deps.writes.handOff(tx.db, conversationId, { toTeam: false, userId: null, assistantOf: lookupIn(await repo.listWith(tx.db)) }, at);
        return { shown: await present(tx, conversationId), published: events };
      });
      stopLocal(conversationId);
      await deps.writes.publishAll(deps.bus, conversationId, published);
      return shown;
    },

    /** Stops the conversation's reply in progress (stored with its text so far); nothing in progress: nothing. */
    async stop(user: UserRow, conversationId: string): Promise<void> {
      await deps.access.requireConversation(user, conversationId, 'write');
      await assistants.requestStop(store.db, conversationId, now());
      stopLocal(conversationId);
    },
  };
}

export type AssistantUseCases = ReturnType<typeof createAssistantUseCases>;

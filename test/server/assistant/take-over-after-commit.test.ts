/**
 * An administrator's message in a conversation the assistant is answering takes it over (assistant/chat-hook.ts):
 * the reply's stop is asked in the message's transaction, and this instance's reply in progress is stopped
 * only once that transaction has committed (its `afterCommit`), never from inside it: a transaction that rolls
 * back (a group written again, a failure) must not have stopped a reply that goes on.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createChatAssistant } from '../../../server/src/assistant/chat-hook.js';
import { createAssistantWrites } from '../../../server/src/assistant/writes.js';
import { createReplyRegistry } from '../../../server/src/assistant/registry.js';
import { createConversationRepository } from '../../../server/src/store/conversations.js';
import { createEventRepository } from '../../../server/src/store/events.js';
import { createMessageRepository } from '../../../server/src/store/messages.js';
import { createTestApp, type TestApp } from '../../helpers/app.js';
import { DIALECTS } from '../../helpers/databases.js';
import { startFakeProvider, type FakeProvider } from './fake-provider.js';
import { call, sessionFor } from './sessions.js';

describe.each(DIALECTS)('a take-over stops the local reply after its commit (%s)', (dialect) => {
  let t: TestApp;
  let provider: FakeProvider;
  afterEach(async () => {
    await t?.close();
    await provider?.close();
  });

  it('asks the stop in the transaction, stops the reply only when told the transaction committed', async () => {
    provider = await startFakeProvider();
    // No worker sends replies: the user's reply stays pending, to be taken over.
    t = await createTestApp({ dialect, assistant: { concurrency: 0 } });
    const owner = await sessionFor(t, { id: 'the-owner', name: 'Olga' }, 'owner');
    const user = await sessionFor(t, { id: 'ada', name: 'Ada' });
    expect((await call(t, owner, 'POST', '/api/v1/admin/assistants', { name: 'Ada', baseUrl: provider.url, model: 'm', apiKey: 'sk-take-over-test', systemPrompt: '', answers: 'always', allowPrivateAddress: true })).statusCode).toBe(201);
    const started = await call(t, user, 'POST', '/api/v1/conversations', { message: { text: 'Hello', clientMessageId: 'c1' } });
    const id = started.json().conversation.id as string;

    const store = t.db.store;
    const conversations = createConversationRepository(store);
    const registry = createReplyRegistry();
    const stopped: string[] = [];
    registry.add(id, (reason) => stopped.push(reason));
    const hook = createChatAssistant({ store, writes: createAssistantWrites({ events: createEventRepository(store), conversations }), registry });
    const lookup = await hook.lookup();
    const author = (await t.app.services.users.findByExternalId('the-owner'))!;
    const message = (await createMessageRepository(store).findByClientMessageId((await t.app.services.users.findByExternalId('ada'))!.id, 'c1'))!;

    const conversation = (await conversations.findById(id))!;
    const effects = await store.db.transaction().execute(async (trx) => {
      const result = await hook.messagePosted(trx, { conversation, author, message, assistantOf: lookup }, t.clock.now);
      // Inside the transaction, nothing stopped yet.
      await new Promise((resolve) => setImmediate(resolve));
      expect(stopped).toEqual([]);
      return result;
    });
    expect(effects.events.map((e) => e.type)).toEqual(['conversation.updated']);
    expect(stopped).toEqual([]);
    effects.afterCommit!();
    expect(stopped).toHaveLength(1);
    const replies = await store.db.selectFrom('assistant_replies').select('stop_requested').where('conversation_id', '=', id).execute();
    expect(replies).toEqual([{ stop_requested: 1 }]);
  });
});

/**
 * The assistant's signals as they cross instances (chat/signals.ts readSignal: PostgreSQL NOTIFY and Redis
 * carry them as JSON): each kind comes back as sent, a participant list left out for size comes back null,
 * and anything malformed is dropped.
 */
import { describe, expect, it } from 'vitest';
import { readSignal, type Signal } from '../../../server/src/chat/signals.js';

const audience = { organizationId: 'default', documentId: null, participantIds: ['usr_a'], internal: false };

describe('assistant signals on the wire', () => {
  it('come back as sent', () => {
    const sent: Signal[] = [
      { type: 'assistant.replying', senderId: 'ast_x', audience, data: { conversationId: 'cnv_1', replyId: 'rpl_1' } },
      { type: 'message.delta', senderId: 'ast_x', audience, data: { conversationId: 'cnv_1', replyId: 'rpl_1', offset: 5, delta: 'llo' } },
      { type: 'assistant.ended', senderId: 'ast_x', audience, data: { conversationId: 'cnv_1', replyId: 'rpl_1' } },
    ];
    for (const signal of sent) expect(readSignal(JSON.stringify(signal))).toEqual(signal);
    expect(readSignal(JSON.stringify({ ...sent[1], audience: { ...audience, participantIds: null } }))).toEqual({ ...sent[1], audience: { ...audience, participantIds: null } });
  });

  it('malformed ones are dropped', () => {
    const base = { senderId: 'ast_x', audience };
    expect(readSignal(JSON.stringify({ ...base, type: 'message.delta', data: { conversationId: 'c', replyId: 'r', offset: '5', delta: 'x' } }))).toBeUndefined();
    expect(readSignal(JSON.stringify({ ...base, type: 'message.delta', data: { conversationId: 'c', replyId: 'r', offset: 0 } }))).toBeUndefined();
    expect(readSignal(JSON.stringify({ ...base, type: 'assistant.replying', data: { conversationId: 'c' } }))).toBeUndefined();
    expect(readSignal(JSON.stringify({ ...base, type: 'assistant.unknown', data: { conversationId: 'c', replyId: 'r' } }))).toBeUndefined();
    expect(readSignal('{not json')).toBeUndefined();
  });
});

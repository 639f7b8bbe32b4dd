/**
 * The declarations integrators copy (widget/types/parley.d.ts) describe what the API sends: a message of the
 * REST API and event stream (shared/src/api.ts) is a `ParleyMessage`, field for field. Checked by the
 * compiler (`tsc` runs over the tests) and, for the field names, at run time.
 */
import { describe, expect, expectTypeOf, it } from 'vitest';
import { MessageSchema, type Message } from '#shared/api.js';
import type { ParleyMessage } from '../../widget/types/parley.js';

describe('the typed widget API', () => {
  it('declares every field of a message, with the same types', () => {
    expectTypeOf<Message>().toEqualTypeOf<ParleyMessage>();
    const declared: Record<keyof ParleyMessage, true> = { id: true, conversationId: true, author: true, text: true, clientMessageId: true, createdAt: true, internal: true, editedAt: true, deletedAt: true, attachments: true };
    expect(Object.keys(MessageSchema.properties).sort()).toEqual(Object.keys(declared).sort());
    expect(Object.keys(MessageSchema.properties.author.properties).sort()).toEqual(['agent', 'avatarUrl', 'id', 'name', 'type']);
  });
});

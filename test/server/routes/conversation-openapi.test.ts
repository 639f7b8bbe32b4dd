/** The OpenAPI description covers the conversation routes: first message, read markers, rename, null titles. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../helpers/app.js';

describe('the API description of conversations', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await createTestApp();
  });
  afterEach(async () => {
    await t.close();
  });

  it('describes creating with a first message, the read state, marking read and renaming', async () => {
    const spec = (await t.app.inject({ method: 'GET', url: '/docs/openapi.json' })).json();
    const json = (part: { content: Record<string, { schema: Record<string, any> }> }) => part.content['application/json']!.schema;
    const create = spec.paths['/api/v1/conversations'].post;
    expect(Object.keys(json(create.requestBody).properties)).toEqual(['title', 'message']);
    expect(json(create.requestBody).properties.message.required).toEqual(['text', 'clientMessageId']);
    expect(Object.keys(create.responses).sort()).toEqual(['200', '201']);
    const item = json(spec.paths['/api/v1/conversations'].get.responses['200']).properties.conversations.items;
    expect(item.properties.title).toMatchObject({ type: 'string', nullable: true, description: expect.stringContaining('first message') });
    expect(item.properties.unreadCount).toMatchObject({ type: 'integer', minimum: 0, description: expect.any(String) });
    expect(item.properties.lastReadMessageId).toMatchObject({ type: 'string', nullable: true });
    const read = spec.paths['/api/v1/conversations/{id}/read'].post;
    expect(json(read.requestBody).required).toEqual(['messageId']);
    expect(Object.keys(json(read.responses['200']).properties)).toEqual(['unreadCount']);
    const rename = spec.paths['/api/v1/admin/conversations/{id}'].patch;
    expect(json(rename.requestBody)).toMatchObject({ minProperties: 1, additionalProperties: false, properties: { title: { type: 'string' } } });
    expect(Object.keys(json(rename.responses['200']).properties.conversation.properties)).toEqual(expect.arrayContaining(['title', 'unanswered', 'participants']));
  });
});

/**
 * Access control as a matrix: role × resource level × grant state → what a user may do with a
 * document room, over REST (read, write) and over the event stream (live delivery), plus two organizations
 * that never see each other. Grants arrive the way integrators send them: in tokens minted by the token API.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../helpers/app.js';
import { openSse, type SseFrame, type SseReader } from '../../helpers/sse.js';

type Role = 'member' | 'admin';
type Level = 'organization' | 'folder' | 'document';
type State = 'none' | 'viewer' | 'editor' | 'expired';

const ORG = 'acme';
const DOC = 'doc-1';
const FOLDER = 'fold-1';

describe('document access matrix', () => {
  let t: TestApp;
  let base: string;
  let creds: { apiKey: string; authToken: string };
  let roomId: string;
  let editor: Record<string, string>;
  const streams: SseReader[] = [];

  async function mint(userId: string, body: Record<string, unknown>): Promise<string> {
    const res = await t.app.inject({ method: 'POST', url: '/v2/auth/generate_token', headers: { 'x-api-key': creds.apiKey, 'x-auth-token': creds.authToken }, payload: { userId, ...body } });
    expect(res.statusCode, res.body).toBe(200);
    return res.json().result.data.token;
  }
  async function session(token: string): Promise<Record<string, string>> {
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/auth/exchange', payload: { externalAuthCode: token } });
    expect(res.statusCode, res.body).toBe(200);
    return { authorization: `Bearer ${res.json().session.token}` };
  }
  function resourceFor(level: Level, state: State) {
    if (state === 'none') return [];
    const nowSeconds = Math.floor(t.clock.now / 1000);
    const role = state === 'viewer' ? 'viewer' : 'editor';
    const expiresAt = state === 'expired' ? nowSeconds - 1 : nowSeconds + 3600;
    if (level === 'organization') return [{ type: 'organization', id: ORG, accessRole: role, expiresAt }];
    if (level === 'folder') return [{ type: 'folder', id: FOLDER, organizationId: ORG, accessRole: role, expiresAt }];
    return [{ type: 'document', id: DOC, organizationId: ORG, accessRole: role, expiresAt }];
  }

  /** Creates a conversation of the user's own (a sentinel they may see on their stream); answers its id. */
  async function ownConversation(headers: Record<string, string>, title: string): Promise<string> {
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/conversations', headers, payload: { title } });
    expect(res.statusCode, res.body).toBe(201);
    return res.json().conversation.id;
  }
  /** The stream's events past `ready` (no heartbeats, no comments), as [type, id of their conversation]. */
  const events = (frames: SseFrame[]) =>
    frames
      .filter((x) => x.event !== undefined && x.event !== 'ready')
      .map((x) => {
        const data = JSON.parse(x.data!);
        return [x.event, data.conversation?.id ?? data.message?.conversationId];
      });

  beforeAll(async () => {
    t = await createTestApp({ heartbeatMs: 60_000, env: { PARLEY_SEAT_LIMIT: '500' } });
    base = await t.app.listen({ port: 0, host: '127.0.0.1' });
    creds = await t.app.services.apiCredentials.create('matrix', t.clock.now);
    // The room's editor; its grant also tells Parley that doc-1 lives in fold-1.
    editor = await session(await mint('room-editor', { userProperties: { organizationId: ORG }, permissions: { resources: [{ type: 'document', id: DOC, organizationId: ORG, folderId: FOLDER, accessRole: 'editor' }] } }));
    const opened = await t.app.inject({ method: 'POST', url: `/api/v1/documents/${DOC}/open`, headers: editor });
    expect(opened.json()).toMatchObject({ access: 'editor', conversation: { title: DOC } });
    roomId = opened.json().conversation.id;
  });
  afterAll(async () => {
    for (const s of streams) s.close();
    await t.close();
  });

  const cases: [Role, Level, State][] = [];
  for (const role of ['member', 'admin'] as Role[]) for (const level of ['organization', 'folder', 'document'] as Level[]) for (const state of ['none', 'viewer', 'editor', 'expired'] as State[]) cases.push([role, level, state]);

  it.each(cases)('%s with a %s grant that is %s', async (role, level, state) => {
    const userId = `${role}-${level}-${state}`;
    const headers = await session(await mint(userId, { userProperties: { organizationId: ORG, isAdmin: role === 'admin' }, permissions: { resources: resourceFor(level, state) } }));
    const canRead = role === 'admin' || state === 'viewer' || state === 'editor';
    const canWrite = role === 'admin' || state === 'editor';

    const open = await t.app.inject({ method: 'POST', url: `/api/v1/documents/${DOC}/open`, headers });
    expect([open.statusCode, canRead ? open.json().access : open.json().error.code]).toEqual(canRead ? [200, canWrite ? 'editor' : 'viewer'] : [404, 'document_not_found']);

    const read = await t.app.inject({ method: 'GET', url: `/api/v1/conversations/${roomId}/messages`, headers });
    expect([read.statusCode, canRead ? 'ok' : read.json().error.code]).toEqual(canRead ? [200, 'ok'] : [404, 'conversation_not_found']);

    const write = await t.app.inject({ method: 'POST', url: `/api/v1/conversations/${roomId}/messages`, headers, payload: { text: `from ${userId}`, clientMessageId: userId } });
    const expectedWrite = canWrite ? [201, 'ok'] : canRead ? [403, 'read_only'] : [404, 'conversation_not_found'];
    expect([write.statusCode, write.statusCode === 201 ? 'ok' : write.json().error.code]).toEqual(expectedWrite);

    // Live: a message the editor posts now reaches this user's stream exactly when they may read.
    const stream = await openSse(`${base}/api/v1/events`, headers);
    streams.push(stream);
    await stream.until((f) => f.some((x) => x.event === 'ready'));
    const marker = `live check for ${userId}`;
    await t.app.inject({ method: 'POST', url: `/api/v1/conversations/${roomId}/messages`, headers: editor, payload: { text: marker, clientMessageId: `m-${userId}` } });
    if (canRead) {
      await stream.until((f) => f.some((x) => x.data?.includes(marker)));
    } else {
      // A sentinel after the marker: the user's own new conversation, which they do see. The stream delivers
      // in order, so once it has arrived the marker would have arrived before it: the sentinel is all there is.
      const sentinel = await ownConversation(headers, `sentinel for ${userId}`);
      const frames = await stream.until((f) => f.some((x) => x.event === 'conversation.created' && x.data!.includes(sentinel)));
      expect(events(frames)).toEqual([['conversation.created', sentinel]]);
    }
    stream.close();
  });

  it('resuming a stream replays a document room to a grant holder who never opened it, and to nobody else', async () => {
    const reader = await session(await mint('late-viewer', { userProperties: { organizationId: ORG }, permissions: { resources: [{ type: 'document', id: DOC, organizationId: ORG, accessRole: 'viewer' }] } }));
    const stranger = await session(await mint('late-stranger', { userProperties: { organizationId: ORG } }));
    const replayed = await openSse(`${base}/api/v1/events`, { ...reader, 'last-event-id': '0' });
    const refused = await openSse(`${base}/api/v1/events`, { ...stranger, 'last-event-id': '0' });
    streams.push(replayed, refused);
    const frames = await replayed.until((f) => f.some((x) => x.event === 'ready'));
    expect(frames.some((x) => x.event === 'conversation.created' && x.data!.includes(`"documentId":"${DOC}"`))).toBe(true);
    expect(frames.filter((x) => x.event === 'message.created').length).toBeGreaterThan(0);
    const none = await refused.until((f) => f.some((x) => x.event === 'ready'));
    expect(none.some((x) => x.event === 'message.created' || x.event === 'conversation.created')).toBe(false);
  });

  it('a grant that expires while the stream is open stops live delivery at that second', async () => {
    const until = Math.floor(t.clock.now / 1000) + 10;
    const headers = await session(await mint('short-lived', { userProperties: { organizationId: ORG }, permissions: { resources: [{ type: 'document', id: DOC, organizationId: ORG, accessRole: 'viewer', expiresAt: until }] } }));
    const stream = await openSse(`${base}/api/v1/events`, headers);
    streams.push(stream);
    await stream.until((f) => f.some((x) => x.event === 'ready'));
    await t.app.inject({ method: 'POST', url: `/api/v1/conversations/${roomId}/messages`, headers: editor, payload: { text: 'before expiry', clientMessageId: 'before-expiry' } });
    await stream.until((f) => f.some((x) => x.data?.includes('before expiry')));
    t.clock.now = until * 1000;
    await t.app.inject({ method: 'POST', url: `/api/v1/conversations/${roomId}/messages`, headers: editor, payload: { text: 'after expiry', clientMessageId: 'after-expiry' } });
    // A sentinel after it, which the user does see: once it has arrived, 'after expiry' would have arrived before.
    const sentinel = await ownConversation(headers, 'sentinel after expiry');
    const frames = await stream.until((f) => f.some((x) => x.event === 'conversation.created' && x.data!.includes(sentinel)));
    expect(events(frames)).toEqual([
      ['message.created', roomId],
      ['conversation.created', sentinel],
    ]);
    expect(frames.filter((x) => x.event === 'message.created').map((x) => JSON.parse(x.data!).message.text)).toEqual(['before expiry']);
    expect((await t.app.inject({ method: 'GET', url: `/api/v1/conversations/${roomId}/messages`, headers })).statusCode).toBe(404);
    stream.close();
  });

  it('two organizations never see each other: not by id, not by a grant naming the other, not live', async () => {
    const other = await session(await mint('globex-editor', { userProperties: { organizationId: 'globex' }, permissions: { resources: [{ type: 'organization', id: 'globex', accessRole: 'editor' }] } }));
    expect((await t.app.inject({ method: 'GET', url: `/api/v1/conversations/${roomId}/messages`, headers: other })).json().error.code).toBe('conversation_not_found');
    // Their doc-1 is globex's document: opening it makes globex's own room, never acme's.
    const theirs = (await t.app.inject({ method: 'POST', url: `/api/v1/documents/${DOC}/open`, headers: other })).json();
    expect(theirs).toMatchObject({ access: 'editor', conversation: { organizationId: 'globex', title: DOC } });
    expect(theirs.conversation.id).not.toBe(roomId);
    // A token that names the other organization's resources is refused at the token API.
    const res = await t.app.inject({
      method: 'POST',
      url: '/v2/auth/generate_token',
      headers: { 'x-api-key': creds.apiKey, 'x-auth-token': creds.authToken },
      payload: { userId: 'sneaky', userProperties: { organizationId: 'globex' }, permissions: { resources: [{ type: 'organization', id: ORG, accessRole: 'editor' }] } },
    });
    expect(res.json()).toEqual({ error: { message: `permissions.resources must all belong to the user's organization (globex).`, status: 'INVALID_ARGUMENT' } });
    // An admin of globex reads every globex conversation, and none of acme's; the instance's admin panel is not theirs.
    const globexAdmin = await session(await mint('globex-admin', { userProperties: { organizationId: 'globex', isAdmin: true } }));
    expect((await t.app.inject({ method: 'GET', url: `/api/v1/conversations/${roomId}/messages`, headers: globexAdmin })).statusCode).toBe(404);
    expect((await t.app.inject({ method: 'GET', url: `/api/v1/conversations/${theirs.conversation.id}/messages`, headers: globexAdmin })).statusCode).toBe(200);
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/admin/conversations', headers: globexAdmin })).json().error.code).toBe('admin_required');
  });
});

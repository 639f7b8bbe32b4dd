/**
 * The uploaded launcher icon (docs/admin-api.md, Widget): `PUT /api/v1/admin/settings/launcher-icon` as
 * multipart (field `file`), judged by its first bytes and not by its name or declared type, at most 64 KB,
 * kept in the database, served at `/widget/launcher-icon/<hash>.<ext>` for a year to any page, and made the
 * `widgetLauncherIconUrl` setting on the public URL; `DELETE` removes it. Refusals are coded and audited.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestApp, PUBLIC_URL, type TestApp } from '../../helpers/app.js';
import { DIALECTS } from '../../helpers/databases.js';
import { multipart } from '../../helpers/files.js';

type Headers = Record<string, string>;

const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==', 'base64');
const GIF = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64');
const WEBP = Buffer.from('UklGRhoAAABXRUJQVlA4TA0AAAAvAAAAEAcQERGIiP4HAA==', 'base64');
const JPEG = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10]), Buffer.from('JFIF\u0000'), Buffer.alloc(32)]);
const ICON_URL = new RegExp(`^${PUBLIC_URL.replace(/[.]/g, '\\.')}/widget/launcher-icon/([0-9a-f]{32})\\.(png|jpg|gif|webp)$`);

describe.each(DIALECTS)('the uploaded launcher icon on %s', (dialect) => {
  let t: TestApp;
  let owner: Headers;

  beforeEach(async () => {
    t = await createTestApp({ dialect });
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/auth/exchange', payload: { externalAuthCode: await t.sign({ user: { id: 'the-owner', email: 'owner@example.com' } }) } });
    await t.app.services.users.setRole(res.json().user.id, 'owner');
    owner = { authorization: `Bearer ${res.json().session.token}` };
  });
  afterEach(async () => {
    await t.close();
  });

  async function upload(data: Buffer | string, filename = 'icon.png', type = 'image/png', headers: Headers = owner) {
    const body = await multipart([{ name: 'file', data, filename, type }]);
    return t.app.inject({ method: 'PUT', url: '/api/v1/admin/settings/launcher-icon', headers: { ...headers, ...body.headers }, payload: body.payload });
  }
  const iconSetting = (res: { json(): { settings: { name: string; value: unknown }[] } }) => res.json().settings.find((s) => s.name === 'widgetLauncherIconUrl')!.value;
  const expectError = (res: { statusCode: number; json(): unknown }, status: number, code: string, message: string) =>
    expect([res.statusCode, res.json()]).toEqual([status, { error: { code, message } }]);

  it('takes a PNG, serves it for a year to any page, and makes it the launcher icon of the public view', async () => {
    const res = await upload(PNG);
    expect(res.statusCode).toBe(200);
    const url = iconSetting(res) as string;
    const [, hash, ext] = ICON_URL.exec(url)!;
    expect(ext).toBe('png');
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/widget/settings' })).json().widget.launcherIconUrl).toBe(url);

    const served = await t.app.inject({ method: 'GET', url: new URL(url).pathname, headers: { origin: 'https://elsewhere.example' } });
    expect(served.statusCode).toBe(200);
    expect(served.rawPayload.equals(PNG)).toBe(true);
    expect(served.headers['content-type']).toBe('image/png');
    expect(served.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(served.headers['x-content-type-options']).toBe('nosniff');
    expect(served.headers['cross-origin-resource-policy']).toBe('cross-origin');
    expect(served.headers['set-cookie']).toBeUndefined();
    // Another name, another extension, or a name of the wrong shape: 404.
    for (const path of [`/widget/launcher-icon/${'0'.repeat(32)}.png`, `/widget/launcher-icon/${hash}.gif`, `/widget/launcher-icon/${hash}`, '/widget/launcher-icon/..%2f..%2fetc%2fpasswd']) {
      const missing = await t.app.inject({ method: 'GET', url: path });
      expect([path, missing.statusCode, missing.json().error.code]).toEqual([path, 404, 'not_found']);
    }
  });

  it('knows JPEG, GIF and WebP by their bytes, whatever the name and declared type', async () => {
    for (const [bytes, ext, type] of [[JPEG, 'jpg', 'image/jpeg'], [GIF, 'gif', 'image/gif'], [WEBP, 'webp', 'image/webp']] as const) {
      const res = await upload(bytes, 'upload.bin', 'application/octet-stream');
      expect(res.statusCode).toBe(200);
      const url = iconSetting(res) as string;
      expect(ICON_URL.exec(url)![2]).toBe(ext);
      const served = await t.app.inject({ method: 'GET', url: new URL(url).pathname });
      expect([served.statusCode, served.headers['content-type']]).toEqual([200, type]);
    }
  });

  it('a PNG named .gif and declared image/gif is served as the PNG it is', async () => {
    const res = await upload(PNG, 'icon.gif', 'image/gif');
    expect(res.statusCode).toBe(200);
    const url = iconSetting(res) as string;
    expect(url.endsWith('.png')).toBe(true);
    expect((await t.app.inject({ method: 'GET', url: new URL(url).pathname })).headers['content-type']).toBe('image/png');
  });

  it('refuses a text file named .png, an SVG and an empty file with 415 icon_type_unsupported, audited', async () => {
    const message = 'The icon must be a PNG, JPEG, GIF or WebP image.';
    expectError(await upload('just some text, honestly a PNG', 'icon.png', 'image/png'), 415, 'icon_type_unsupported', message);
    expectError(await upload('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', 'icon.svg', 'image/svg+xml'), 415, 'icon_type_unsupported', message);
    expectError(await upload(Buffer.alloc(0)), 415, 'icon_type_unsupported', message);
    // A PNG signature cut short is not a PNG either.
    expectError(await upload(PNG.subarray(0, 7)), 415, 'icon_type_unsupported', message);
    const entries = (await t.app.inject({ method: 'GET', url: '/api/v1/admin/audit?kind=admin', headers: owner })).json().entries as { action: string; target: string; outcome: string }[];
    expect(entries.map(({ action, target, outcome }) => ({ action, target, outcome }))[0]).toEqual({ action: 'settings.upload_launcher_icon', target: 'widgetLauncherIconUrl', outcome: 'icon_type_unsupported' });
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/widget/settings' })).json().widget.launcherIconUrl).toBeNull();
  });

  it('takes 64 KB and refuses one byte more with 413 icon_too_large', async () => {
    const max = Buffer.concat([PNG, Buffer.alloc(64 * 1024 - PNG.length)]);
    expect((await upload(max)).statusCode).toBe(200);
    expectError(await upload(Buffer.concat([max, Buffer.from([0])])), 413, 'icon_too_large', 'The icon may be at most 64 KB.');
    // Far more is cut short the same way.
    expectError(await upload(Buffer.concat([PNG, Buffer.alloc(1024 * 1024)])), 413, 'icon_too_large', 'The icon may be at most 64 KB.');
  });

  it('needs multipart with the field file', async () => {
    const json = await t.app.inject({ method: 'PUT', url: '/api/v1/admin/settings/launcher-icon', headers: owner, payload: { file: PNG.toString('base64') } });
    expectError(json, 415, 'unsupported_media_type', 'Send the icon as multipart/form-data, in the field "file".');
    const raw = await t.app.inject({ method: 'PUT', url: '/api/v1/admin/settings/launcher-icon', headers: { ...owner, 'content-type': 'image/png' }, payload: PNG });
    expect([raw.statusCode, raw.json().error.code]).toEqual([415, 'unsupported_media_type']);
    const otherField = await multipart([{ name: 'icon', data: PNG, filename: 'icon.png', type: 'image/png' }]);
    const wrong = await t.app.inject({ method: 'PUT', url: '/api/v1/admin/settings/launcher-icon', headers: { ...owner, ...otherField.headers }, payload: otherField.payload });
    expectError(wrong, 400, 'bad_request', 'Send the icon as multipart/form-data, in the field "file".');
    const noFile = await multipart([{ name: 'file', data: 'text only' }]);
    const none = await t.app.inject({ method: 'PUT', url: '/api/v1/admin/settings/launcher-icon', headers: { ...owner, ...noFile.headers }, payload: noFile.payload });
    expectError(none, 400, 'bad_request', 'Send the icon as multipart/form-data, in the field "file".');
    // No other route parses multipart.
    const elsewhere = await multipart([{ name: 'seatLimit', data: '9' }]);
    const settings = await t.app.inject({ method: 'PATCH', url: '/api/v1/admin/settings', headers: { ...owner, ...elsewhere.headers }, payload: elsewhere.payload });
    expect([settings.statusCode, settings.json().error.code]).toEqual([415, 'unsupported_media_type']);
  });

  it('is for administrators only', async () => {
    expect([(await upload(PNG, 'icon.png', 'image/png', {})).statusCode]).toEqual([401]);
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/auth/exchange', payload: { externalAuthCode: await t.sign({ user: { id: 'a-member' } }) } });
    const member = { authorization: `Bearer ${res.json().session.token}` };
    const refused = await upload(PNG, 'icon.png', 'image/png', member);
    expect([refused.statusCode, refused.json().error.code]).toEqual([403, 'admin_required']);
    const removal = await t.app.inject({ method: 'DELETE', url: '/api/v1/admin/settings/launcher-icon', headers: member });
    expect([removal.statusCode, removal.json().error.code]).toEqual([403, 'admin_required']);
  });

  it('a new upload replaces the old; its URL may be set back by PATCH; DELETE removes it and its setting', async () => {
    const first = iconSetting(await upload(PNG)) as string;
    const second = iconSetting(await upload(GIF)) as string;
    expect(second).not.toBe(first);
    expect((await t.app.inject({ method: 'GET', url: new URL(first).pathname })).statusCode).toBe(404);
    expect((await t.app.inject({ method: 'GET', url: new URL(second).pathname })).statusCode).toBe(200);

    // An https URL instead, then back to the uploaded icon by its URL (the panel sends what it was shown).
    const patch = (payload: object) => t.app.inject({ method: 'PATCH', url: '/api/v1/admin/settings', headers: owner, payload });
    expect(iconSetting(await patch({ widgetLauncherIconUrl: 'https://cdn.example.com/i.png' }))).toBe('https://cdn.example.com/i.png');
    expect((await t.app.inject({ method: 'GET', url: new URL(second).pathname })).statusCode).toBe(200);
    expect(iconSetting(await patch({ widgetLauncherIconUrl: second }))).toBe(second);

    const removed = await t.app.inject({ method: 'DELETE', url: '/api/v1/admin/settings/launcher-icon', headers: owner });
    expect(removed.statusCode).toBe(200);
    expect(iconSetting(removed)).toBeNull();
    expect((await t.app.inject({ method: 'GET', url: new URL(second).pathname })).statusCode).toBe(404);
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/widget/settings' })).json().widget.launcherIconUrl).toBeNull();
    const back = await patch({ widgetLauncherIconUrl: second });
    expect([back.statusCode, back.json().error.code]).toEqual([400, 'bad_request']);

    // Removing the upload leaves an https icon setting alone.
    await upload(PNG);
    await patch({ widgetLauncherIconUrl: 'https://cdn.example.com/i.png' });
    expect(iconSetting(await t.app.inject({ method: 'DELETE', url: '/api/v1/admin/settings/launcher-icon', headers: owner }))).toBe('https://cdn.example.com/i.png');

    const entries = (await t.app.inject({ method: 'GET', url: '/api/v1/admin/audit?kind=admin', headers: owner })).json().entries as { action: string; target: string; outcome: string }[];
    expect(entries.map(({ action, target, outcome }) => `${action} ${target} ${outcome}`).slice(0, 3)).toEqual([
      'settings.remove_launcher_icon widgetLauncherIconUrl ok',
      'settings.update widgetLauncherIconUrl ok',
      'settings.upload_launcher_icon widgetLauncherIconUrl ok',
    ]);
  });

  it('the icon URL follows the public URL, and the icon is kept in the database', async () => {
    const url = iconSetting(await upload(PNG)) as string;
    const file = new URL(url).pathname.split('/').pop()!;
    t.app.publicUrl.value = 'https://chat.example.com';
    const listed = await t.app.inject({ method: 'GET', url: '/api/v1/admin/settings', headers: owner });
    expect(iconSetting(listed)).toBe(`https://chat.example.com/widget/launcher-icon/${file}`);
    // A second store on the same database (another instance, the CLI's) finds it there.
    const other = await t.db.elsewhere();
    const row = await other.db.selectFrom('settings').select('value').where('name', '=', 'widgetLauncherIcon').executeTakeFirstOrThrow();
    expect(Buffer.from((JSON.parse(row.value) as { data: string }).data, 'base64').equals(PNG)).toBe(true);
  });
});

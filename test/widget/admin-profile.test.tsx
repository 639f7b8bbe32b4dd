// @vitest-environment happy-dom
/**
 * The Profile page (display name, avatar, the sound preference, browser notifications asked for only from
 * a click) and the Canned replies page (add, edit, delete), against a fake server.
 */
import { describe, expect, it, vi } from 'vitest';
import type { CannedReply } from '../../widget/src/admin/api.js';
import { click as clickOnce } from '../helpers/dom.js';
import { PROFILE, T0, callsTo, dom, withAdminPage, input, ok, serve, until } from './admin-fake.js';

let d: ReturnType<typeof dom>;
withAdminPage((page) => ({ d } = page));
const click = (el: HTMLElement) => clickOnce(el, 2);

/** A Notification whose permission the test sets, counting the requests for it. */
function fakeNotification(permission: NotificationPermission, answer: NotificationPermission = 'granted') {
  const N = class {
    static permission = permission;
    static requestPermission = vi.fn(async () => {
      N.permission = answer;
      return answer;
    });
  };
  vi.stubGlobal('Notification', N);
  return N;
}

describe('profile', () => {
  it('saves the display name and avatar URL that changed', async () => {
    serve({ 'PATCH /api/v1/admin/profile': (call) => ok({ profile: { ...PROFILE, ...(call.body as object) } }) });
    await d.mount('#/profile');
    expect(d.text(d.q('main h1'))).toBe('Profile');
    expect(d.control('Display name').value).toBe('Ada Admin');
    expect(d.control('Avatar URL').value).toBe('');
    await input(d.control('Display name'), '  Ada L. ');
    await input(d.control('Avatar URL'), 'https://example.com/ada.png');
    await click(d.button('Save profile'));
    expect(callsTo('PATCH', '/api/v1/admin/profile').map((c) => c.body)).toEqual([{ name: 'Ada L.', avatarUrl: 'https://example.com/ada.png' }]);
    expect(d.statuses()).toContain('Profile saved.');
    expect(d.text(d.q('[data-testid=admin-name]'))).toBe('Ada L.');
    await input(d.control('Avatar URL'), '');
    await click(d.button('Save profile'));
    expect(callsTo('PATCH', '/api/v1/admin/profile').at(-1)!.body).toEqual({ avatarUrl: null });
  });

  it('the sound switch saves the preference at once, and switching it on plays the chime once as a preview', async () => {
    let tones = 0;
    const node = () => ({ connect: () => undefined, start: () => (tones += 1), stop: () => undefined, frequency: { setValueAtTime: () => undefined }, gain: { setValueAtTime: () => undefined, exponentialRampToValueAtTime: () => undefined } });
    vi.stubGlobal('AudioContext', class {
      currentTime = 0;
      destination = {};
      state = 'running';
      createOscillator = node;
      createGain = node;
    });
    serve({ 'PATCH /api/v1/admin/profile': (call) => ok({ profile: { ...PROFILE, preferences: { ...PROFILE.preferences, sound: (call.body as { sound: boolean }).sound } } }) });
    await d.mount('#/profile');
    const sound = d.control('Sound on new conversations and messages');
    expect(sound.checked).toBe(false);
    await click(sound);
    expect(callsTo('PATCH', '/api/v1/admin/profile').map((c) => c.body)).toEqual([{ sound: true }]);
    expect(d.control('Sound on new conversations and messages').checked).toBe(true);
    expect(d.statuses()).toContain('Sound on.');
    expect(tones).toBe(1);
  });

  it('asks for notification permission only when the button is pressed, and shows the answer', async () => {
    const N = fakeNotification('default');
    serve();
    await d.mount('#/profile');
    expect(N.requestPermission).not.toHaveBeenCalled();
    expect(d.text(d.q('[data-testid=notification-permission]'))).toBe('Not allowed yet.');
    await click(d.button('Allow browser notifications'));
    expect(N.requestPermission).toHaveBeenCalledTimes(1);
    expect(d.text(d.q('[data-testid=notification-permission]'))).toBe('Allowed: new conversations and messages show a notification while you are not looking at them.');
    expect(d.all('button').map((b) => d.text(b))).not.toContain('Allow browser notifications');
  });

  it('says when notifications are blocked or unsupported, with no button', async () => {
    fakeNotification('denied');
    serve();
    await d.mount('#/profile');
    expect(d.text(d.q('[data-testid=notification-permission]'))).toMatch(/^Blocked in this browser\./);
    expect(d.all('button').map((b) => d.text(b))).not.toContain('Allow browser notifications');
  });
});

describe('canned replies', () => {
  it('adds, edits and deletes (after asking) a canned reply', async () => {
    let replies: CannedReply[] = [{ id: 'cr_1', title: 'Greeting', text: 'Hello!', createdAt: T0, updatedAt: T0 }];
    serve({
      'GET /api/v1/admin/canned-replies': () => ok({ cannedReplies: replies }),
      'POST /api/v1/admin/canned-replies': (call) => {
        const made = { id: 'cr_2', ...(call.body as { title: string; text: string }), createdAt: T0, updatedAt: T0 };
        replies = [...replies, made];
        return { status: 201, body: { cannedReply: made } };
      },
      'PATCH /api/v1/admin/canned-replies/cr_1': (call) => ok({ cannedReply: { ...replies[0]!, ...(call.body as object) } }),
      'DELETE /api/v1/admin/canned-replies/cr_2': () => ({ status: 204 }),
    });
    await d.mount('#/canned-replies');
    const titles = () => d.all('.canned-list h3').map((h) => d.text(h));
    expect(titles()).toEqual(['Greeting']);
    await input(d.control('Title'), ' Refunds ');
    await input(d.control<HTMLTextAreaElement>('Text'), 'Refunds take 5 days.');
    await click(d.button('Add canned reply'));
    expect(callsTo('POST', '/api/v1/admin/canned-replies').map((c) => c.body)).toEqual([{ title: 'Refunds', text: 'Refunds take 5 days.' }]);
    expect(titles()).toEqual(['Greeting', 'Refunds']);
    expect(d.control('Title').value).toBe('');

    await click(d.button('Edit Greeting'));
    const editForm = d.q('form[aria-label="Edit Greeting"]')!;
    const title = editForm.querySelector<HTMLInputElement>('input')!;
    await input(title, 'Hello');
    await click(d.button('Save', editForm));
    expect(callsTo('PATCH', '/api/v1/admin/canned-replies/cr_1').map((c) => c.body)).toEqual([{ title: 'Hello', text: 'Hello!' }]);
    expect(titles()).toEqual(['Hello', 'Refunds']);

    await click(d.button('Delete Refunds'));
    expect(callsTo('DELETE', '/api/v1/admin/canned-replies/cr_2')).toHaveLength(0);
    await click(d.button('Delete', d.q('.confirm')!));
    await until(() => expect(titles()).toEqual(['Hello']));
    expect(callsTo('DELETE', '/api/v1/admin/canned-replies/cr_2')).toHaveLength(1);
  });
});

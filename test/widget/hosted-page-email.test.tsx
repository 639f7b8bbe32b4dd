// @vitest-environment happy-dom
/**
 * What the hosted page adds for email: `/?conversation=<id>` (where a notification email's link lands)
 * opens that conversation once the list has loaded, if it is the user's, else the list as usual; and the
 * user's own switch "Email me replies I miss" (`GET`/`PATCH /api/v1/me/email`).
 */
import { render } from 'preact';
import { act } from 'preact/test-utils';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { EmailSwitch } from '../../widget/src/page/email-switch.js';
import { addContainer, click, removeContainer, settle } from '../helpers/dom.js';
import { deferred } from '../helpers/widget-fakes.js';
import { conversation, fakeApi, message, mountChat } from './chat-fakes.js';

let container: HTMLElement;
beforeEach(() => {
  container = addContainer();
});
afterEach(() => {
  removeContainer(container);
  vi.unstubAllGlobals();
});
const q = <E extends Element = HTMLElement>(selector: string) => container.querySelector<E & Element>(selector);

describe('the hosted page opened at ?conversation=', () => {
  const list = [conversation('cnv_a', 'Alpha', '2026-01-02T00:00:00.000Z'), conversation('cnv_b', 'Beta', '2026-01-01T00:00:00.000Z')];

  it('opens that conversation once the list has loaded', async () => {
    const api = fakeApi(list, { cnv_b: [message('m1', 'cnv_b', 'We answered you', '2026-01-01T01:00:00.000Z')] });
    const answer = deferred<Awaited<ReturnType<typeof api.listConversations>>>();
    api.listConversations.mockReturnValueOnce(answer.promise);
    await mountChat(container, { api, openId: 'cnv_b' });
    expect(q('p.placeholder')?.textContent).toBe('Pick a conversation or start a new one.');
    answer.resolve({ conversations: list, nextCursor: null });
    await settle();
    await settle();
    expect(api.listMessages).toHaveBeenCalledWith('cnv_b');
    expect(q('section.thread h2')?.textContent).toBe('Beta');
    expect(q('ol.messages .md')?.textContent).toBe('We answered you');
  });

  it('shows the list as usual when the conversation is not the user’s', async () => {
    const api = fakeApi(list);
    await mountChat(container, { api, openId: 'cnv_someone_else' });
    await settle();
    expect(api.listMessages).not.toHaveBeenCalled();
    expect([...container.querySelectorAll('ul.conversations .title')].map((t) => t.textContent)).toEqual(['Alpha', 'Beta']);
    expect(q('section.thread h2')).toBeNull();
  });
});

describe('the hosted page’s email switch', () => {
  function serveEmail(initial: boolean, patch: (on: boolean) => Response | Promise<Response>) {
    const calls: { method: string; body: unknown }[] = [];
    vi.stubGlobal(
      'fetch',
      vi.fn(async (url: string, init: RequestInit = {}) => {
        expect(url).toBe('/api/v1/me/email');
        const body = typeof init.body === 'string' ? JSON.parse(init.body) : undefined;
        calls.push({ method: init.method ?? 'GET', body });
        if ((init.method ?? 'GET') === 'GET') return Response.json({ emailNotifications: initial });
        return patch((body as { emailNotifications: boolean }).emailNotifications);
      }),
    );
    return calls;
  }
  const mountSwitch = async () => {
    await act(() => {
      render(<EmailSwitch />, container);
    });
    await settle();
  };
  const box = () => q<HTMLInputElement>('.email-switch input')!;

  it('shows what the server says and changes it', async () => {
    const calls = serveEmail(true, (on) => Response.json({ emailNotifications: on }));
    await mountSwitch();
    expect(q('.email-switch label')?.textContent?.trim()).toBe('Email me replies I miss');
    expect(box().checked).toBe(true);
    await click(box(), 2);
    expect(calls).toEqual([
      { method: 'GET', body: undefined },
      { method: 'PATCH', body: { emailNotifications: false } },
    ]);
    expect(box().checked).toBe(false);
    await click(box(), 2);
    expect(calls.at(-1)).toEqual({ method: 'PATCH', body: { emailNotifications: true } });
    expect(box().checked).toBe(true);
  });

  it('puts the switch back and says so when the change fails', async () => {
    serveEmail(false, () => Response.json({ error: { code: 'internal_error', message: 'x' } }, { status: 500 }));
    await mountSwitch();
    expect(box().checked).toBe(false);
    await click(box(), 2);
    expect(box().checked).toBe(false);
    expect(q('[role=alert]')?.textContent).toBe('Your email setting could not be changed. Try again.');
  });

  it('shows nothing when the server cannot say', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => Response.json({ error: { code: 'session_missing', message: 'x' } }, { status: 401 })));
    await mountSwitch();
    expect(container.innerHTML).toBe('');
  });
});

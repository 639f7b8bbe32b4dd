// @vitest-environment happy-dom
/**
 * The admin panel's Settings › Widget (widget/src/admin/Settings.tsx, WidgetPreview.tsx) against a stubbed
 * `fetch` answering the shapes of docs/admin-api.md: the preview follows every keystroke before anything is
 * saved, texts are set per locale and previewed with the widget's fallback, bad values are explained beside
 * their field (and announced) instead of being sent, one PATCH saves the form, and the launcher icon is
 * uploaded as multipart and removed.
 */
import { render } from 'preact';
import { act } from 'preact/test-utils';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { User } from '#shared/api.js';
import { App } from '../../widget/src/admin/App.js';
import { addContainer, click as clickOnce, removeContainer, settle } from '../helpers/dom.js';

const T0 = '2026-03-01T10:00:00.000Z';
const ADMIN: User = { id: 'usr_ada', externalId: null, email: 'ada@example.com', name: 'Ada Admin', avatarUrl: null, role: 'owner', organizationId: 'default', createdAt: T0 };
const ICON_URL = 'https://parley.example/widget/launcher-icon/0123456789abcdef0123456789abcdef.png';

type SettingRow = { name: string; variable: string | null; value: unknown; locked: boolean };
const free = (name: string, value: unknown): SettingRow => ({ name, variable: null, value, locked: false });
const INSTANCE: SettingRow[] = [
  { name: 'seatLimit', variable: 'PARLEY_SEAT_LIMIT', value: 5, locked: false },
  { name: 'allowedOrigins', variable: 'PARLEY_ALLOWED_ORIGINS', value: null, locked: false },
  { name: 'tokenMaxLifetime', variable: 'PARLEY_TOKEN_MAX_LIFETIME', value: '7d', locked: false },
  free('externalAuthEnabled', true),
];
function widgetRows(values: Record<string, unknown> = {}): SettingRow[] {
  const defaults: Record<string, unknown> = {
    widgetTeamName: null,
    widgetAvatarUrl: null,
    widgetTitle: null,
    widgetAccentColor: null,
    widgetLauncherIconUrl: null,
    widgetPosition: 'right',
    widgetGreeting: {},
    widgetReplyTime: {},
    widgetAwayText: {},
  };
  return Object.entries({ ...defaults, ...values }).map(([name, value]) => free(name, value));
}

// --- a fake server ---------------------------------------------------------------------------------------

interface Call {
  method: string;
  path: string;
  body: unknown;
}
type Reply = { status: number; body?: unknown };
let calls: Call[];
let current: SettingRow[];
let routes: Map<string, (call: Call) => Reply>;
const ok = (body: unknown): Reply => ({ status: 200, body });
const fail = (status: number, code: string): Reply => ({ status, body: { error: { code, message: `${code} (server text)` } } });

function serve(settings: SettingRow[], overrides: Record<string, (call: Call) => Reply> = {}) {
  current = settings;
  calls = [];
  routes = new Map(
    Object.entries({
      'GET /api/v1/me': () => ok({ user: ADMIN, session: { expiresAt: '2026-12-31T00:00:00.000Z' } }),
      'GET /api/v1/admin/settings': () => ok({ settings: current }),
      'PATCH /api/v1/admin/settings': (call: Call) => {
        current = current.map((s) => (Object.hasOwn(call.body as object, s.name) ? { ...s, value: (call.body as Record<string, unknown>)[s.name] } : s));
        return ok({ settings: current });
      },
      'PUT /api/v1/admin/settings/launcher-icon': () => {
        current = current.map((s) => (s.name === 'widgetLauncherIconUrl' ? { ...s, value: ICON_URL } : s));
        return ok({ settings: current });
      },
      'DELETE /api/v1/admin/settings/launcher-icon': () => {
        current = current.map((s) => (s.name === 'widgetLauncherIconUrl' ? { ...s, value: null } : s));
        return ok({ settings: current });
      },
      ...overrides,
    }),
  );
  vi.stubGlobal(
    'fetch',
    vi.fn(async (input: string, init: RequestInit = {}) => {
      const url = new URL(input, 'https://parley.example');
      const body = typeof init.body === 'string' ? JSON.parse(init.body) : init.body;
      const call: Call = { method: init.method ?? 'GET', path: url.pathname, body };
      calls.push(call);
      const handler = routes.get(`${call.method} ${call.path}`);
      const reply = handler ? handler(call) : fail(404, 'not_found');
      return new Response(JSON.stringify(reply.body), { status: reply.status, headers: { 'content-type': 'application/json' } });
    }),
  );
}
const callsTo = (method: string, path: string) => calls.filter((c) => c.method === method && c.path === path);

// --- rendering and interaction ---------------------------------------------------------------------------

let container: HTMLElement;
beforeEach(() => {
  container = addContainer();
  vi.stubGlobal('EventSource', class extends EventTarget { close() {} });
});
afterEach(() => {
  removeContainer(container);
  vi.unstubAllGlobals();
  history.replaceState(null, '', '#');
});

async function mount() {
  history.replaceState(null, '', '#/settings');
  await act(() => {
    render(<App />, container);
  });
  await settle();
  await settle();
}

const text = (el: Element | null | undefined) => el?.textContent?.replace(/\s+/g, ' ').trim() ?? null;
const q = <E extends Element = HTMLElement>(selector: string) => container.querySelector<E>(selector);
const all = <E extends Element = HTMLElement>(selector: string) => [...container.querySelectorAll<E>(selector)];
const preview = (part: string) => text(q(`[data-testid=preview-${part}]`));
const click = (element: HTMLElement) => clickOnce(element, 2);

function button(name: string): HTMLButtonElement {
  const found = all<HTMLButtonElement>('button').find((b) => (b.getAttribute('aria-label') ?? text(b)) === name);
  if (!found) throw new Error(`no button "${name}"; have ${all('button').map((b) => b.getAttribute('aria-label') ?? text(b)).join(' | ')}`);
  return found;
}
/** The control a <label> (or aria-label) names. */
function control<E extends HTMLElement = HTMLInputElement>(name: string): E {
  const label = all<HTMLLabelElement>('label').find((l) => text(l) === name);
  const found = label ? (label.htmlFor ? q<E>(`#${label.htmlFor}`) : label.querySelector<E>('input')) : q<E>(`[aria-label="${name}"]`);
  if (!found) throw new Error(`no control "${name}"; labels: ${all('label').map(text).join(' | ')}`);
  return found;
}
/** Types `value` (an input event, as a keystroke does), and, with `leave`, leaves the field (a change event). */
async function type(element: HTMLInputElement, value: string, leave = false) {
  await act(() => {
    element.value = value;
    element.dispatchEvent(new Event('input', { bubbles: true }));
  });
  if (leave) {
    await act(() => {
      element.dispatchEvent(new Event('change', { bubbles: true }));
    });
  }
}
async function choose(element: HTMLSelectElement | HTMLInputElement, value?: string) {
  await act(() => {
    if (value !== undefined) element.value = value;
    if (element instanceof HTMLInputElement) element.checked = true;
    element.dispatchEvent(new Event('change', { bubbles: true }));
  });
  await settle();
}
async function pickFile(file: File) {
  const input = control('Upload an icon');
  Object.defineProperty(input, 'files', { configurable: true, value: [file] });
  await act(() => {
    input.dispatchEvent(new Event('change', { bubbles: true }));
  });
  await settle();
  await settle();
}
/** The accent colour the preview draws with, and the text colour on it. */
const previewColours = () => {
  const style = q('[data-testid=widget-preview]')!.style;
  return [style.getPropertyValue('--wp-accent'), style.getPropertyValue('--wp-on-accent')];
};

describe('Settings › Widget', () => {
  it('the preview shows the widget’s own look at first, and follows every keystroke before anything is saved', async () => {
    serve([...INSTANCE, ...widgetRows()]);
    await mount();
    expect(text(q('#widget-heading'))).toBe('Widget');
    expect(preview('title')).toBe('Chat');
    expect(preview('team')).toBe('Our team');
    expect(preview('greeting')).toBe('Hi Ada 👋 — ask us anything');
    expect(preview('reply-time')).toBe('We reply as soon as we can.');
    expect(previewColours()).toEqual(['#3056d3', '#ffffff']);
    expect(q('[data-testid=widget-preview]')!.classList.contains('right')).toBe(true);

    await type(control('Team name'), 'Acme support');
    await type(control('Panel title'), 'Help');
    await type(control('Greeting (English)'), 'Hello {name}, how can we help?');
    await type(control('Expected reply time (English)'), 'Within a day');
    await type(control('Accent colour'), '#FFD400');
    await choose(control('Bottom left'));
    expect(preview('team')).toBe('Acme support');
    expect(preview('title')).toBe('Help');
    expect(preview('greeting')).toBe('Hello Ada, how can we help?');
    expect(preview('reply-time')).toBe('Within a day');
    // A light accent gets black text, by the widget's contrast rule.
    expect(previewColours()).toEqual(['#ffd400', '#000000']);
    expect(q('[data-testid=widget-preview]')!.classList.contains('left')).toBe(true);
    // The colour picker follows the text field, and the other way round.
    expect(control('Pick the accent colour').value).toBe('#ffd400');
    await type(control('Pick the accent colour'), '#1d2330');
    expect(control('Accent colour').value).toBe('#1d2330');
    expect(previewColours()).toEqual(['#1d2330', '#ffffff']);
    // A half-typed colour keeps the widget's own in the preview.
    await type(control('Accent colour'), '#1d2');
    expect(previewColours()).toEqual(['#3056d3', '#ffffff']);
    expect(callsTo('PATCH', '/api/v1/admin/settings')).toEqual([]);
  });

  it('images follow their URL once the field is left, not at each keystroke', async () => {
    serve([...INSTANCE, ...widgetRows()]);
    await mount();
    await type(control('Avatar URL'), 'https://cdn.exa');
    expect(q('[data-testid=preview-avatar]')).toBeNull();
    await type(control('Avatar URL'), 'https://cdn.example.com/team.png', true);
    expect(q<HTMLImageElement>('[data-testid=preview-avatar]')!.getAttribute('src')).toBe('https://cdn.example.com/team.png');
    expect(q<HTMLImageElement>('[data-testid=preview-avatar]')!.alt).toBe('');
    await type(control('Launcher icon URL'), 'https://cdn.example.com/bubble.png', true);
    expect(q<HTMLImageElement>('[data-testid=preview-launcher-icon]')!.getAttribute('src')).toBe('https://cdn.example.com/bubble.png');
    // An http:// address is not shown, and is explained.
    await type(control('Avatar URL'), 'http://cdn.example.com/team.png', true);
    expect(q('[data-testid=preview-avatar]')).toBeNull();
    expect(control('Avatar URL').getAttribute('aria-invalid')).toBe('true');
  });

  it('texts per locale: the preview language shows its text, else the English one, in its direction', async () => {
    serve([...INSTANCE, ...widgetRows({ widgetGreeting: { en: 'Hi {name}', fr: 'Bonjour {name}' }, widgetReplyTime: { en: 'Soon' } })]);
    await mount();
    expect(control('Greeting (French)').value).toBe('Bonjour {name}');
    expect(control('Greeting (Arabic)').value).toBe('');
    expect(control('Greeting (Arabic)').dir).toBe('rtl');
    expect(control('Greeting (Arabic)').lang).toBe('ar');
    const language = control<HTMLSelectElement>('Preview language');
    await choose(language, 'fr');
    expect(preview('greeting')).toBe('Bonjour Ada');
    expect(preview('reply-time')).toBe('Soon');
    expect(q('.wp-panel')!.getAttribute('lang')).toBe('fr');
    await choose(language, 'ar');
    expect(preview('greeting')).toBe('Hi Ada');
    expect(q('.wp-panel')!.getAttribute('dir')).toBe('rtl');
    // The widget's own Arabic words where nothing is set at all.
    expect(preview('team')).toBe('فريقنا');
    // Typing in a locale's field previews that locale.
    await act(() => {
      control('Greeting (Arabic)').dispatchEvent(new FocusEvent('focus'));
    });
    await type(control('Greeting (Arabic)'), 'مرحبا {name}');
    expect(language.value).toBe('ar');
    expect(preview('greeting')).toBe('مرحبا Ada');
  });

  it('saves the whole form in one PATCH, trimmed, empty texts as null or absent, and says so', async () => {
    serve([...INSTANCE, ...widgetRows({ widgetTitle: 'Old title' })]);
    await mount();
    await type(control('Team name'), '  Acme  ');
    await type(control('Panel title'), '');
    await type(control('Accent colour'), '#3056D3');
    await type(control('Greeting (French)'), 'Bonjour {name}');
    await type(control('Expected reply time (Arabic)'), ' قريبا ');
    await choose(control('Bottom left'));
    await click(button('Save widget settings'));
    expect(callsTo('PATCH', '/api/v1/admin/settings').map((c) => c.body)).toEqual([
      {
        widgetTeamName: 'Acme',
        widgetTitle: null,
        widgetAvatarUrl: null,
        widgetAccentColor: '#3056d3',
        widgetLauncherIconUrl: null,
        widgetPosition: 'left',
        widgetGreeting: { fr: 'Bonjour {name}' },
        widgetReplyTime: { ar: 'قريبا' },
        widgetAwayText: {},
      },
    ]);
    expect(all('[data-setting=widget] [role=status]').map(text).filter(Boolean)).toEqual(['Saved.']);
    expect(control('Team name').value).toBe('Acme');
    expect(control('Accent colour').value).toBe('#3056d3');
  });

  it('a bad value is explained beside its field and announced, and nothing is sent', async () => {
    serve([...INSTANCE, ...widgetRows()]);
    await mount();
    await type(control('Accent colour'), 'blue', true);
    const accent = control('Accent colour');
    expect(accent.getAttribute('aria-invalid')).toBe('true');
    const error = q(`#${accent.id}-error`)!;
    expect(accent.getAttribute('aria-describedby')!.split(' ')).toContain(error.id);
    expect(text(error)).toBe('Enter a colour as # and six hex digits, such as #3056d3, or leave it empty.');
    await type(control('Team name'), 'x'.repeat(61));
    await type(control('Greeting (French)'), 'g'.repeat(201));
    await click(button('Save widget settings'));
    expect(callsTo('PATCH', '/api/v1/admin/settings')).toEqual([]);
    expect(all('[role=alert]').map(text)).toEqual(['3 fields need a change: see below each.']);
    expect(text(q(`#${control('Team name').id}-error`))).toBe('At most 60 characters, on one line.');
    expect(text(q(`#${control('Greeting (French)').id}-error`))).toBe('At most 200 characters, on one line.');
    // Focus goes to the first field to change.
    expect(document.activeElement).toBe(control('Team name'));
    // A refusal by the server is shown with its detail.
    routes.set('PATCH /api/v1/admin/settings', () => ({ status: 400, body: { error: { code: 'bad_request', message: 'widgetAvatarUrl must not carry a user name or password' } } }));
    await type(control('Team name'), 'Acme');
    await type(control('Accent colour'), '');
    await type(control('Greeting (French)'), '');
    await click(button('Save widget settings'));
    expect(all('[role=alert]').map(text)).toEqual(['Not accepted: widgetAvatarUrl must not carry a user name or password']);
  });

  it('uploads the icon as multipart at once, previews it, may set it back, and removes it', async () => {
    serve([...INSTANCE, ...widgetRows()]);
    await mount();
    expect(() => button('Remove the uploaded icon')).toThrow();
    const file = new File([new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])], 'icon.png', { type: 'image/png' });
    await pickFile(file);
    const uploads = callsTo('PUT', '/api/v1/admin/settings/launcher-icon');
    expect(uploads).toHaveLength(1);
    expect(uploads[0]!.body).toBeInstanceOf(FormData);
    expect(((uploads[0]!.body as FormData).get('file') as File).name).toBe('icon.png');
    expect(text(q('.widget-field [role=status]'))).toBe('Icon uploaded and in use.');
    expect(control('Launcher icon URL').value).toBe(ICON_URL);
    expect(q<HTMLImageElement>('[data-testid=preview-launcher-icon]')!.getAttribute('src')).toBe(ICON_URL);
    // The uploaded icon's URL (http or not) is a value the form may save.
    await click(button('Save widget settings'));
    expect((callsTo('PATCH', '/api/v1/admin/settings')[0]!.body as Record<string, unknown>)['widgetLauncherIconUrl']).toBe(ICON_URL);

    await click(button('Remove the uploaded icon'));
    expect(callsTo('DELETE', '/api/v1/admin/settings/launcher-icon')).toHaveLength(1);
    expect(control('Launcher icon URL').value).toBe('');
    expect(q('[data-testid=preview-launcher-icon]')).toBeNull();
    expect(text(q('.widget-field [role=status]'))).toBe('Uploaded icon removed.');
  });

  it('says why an icon is refused: too large before sending, or not an image by the server', async () => {
    serve([...INSTANCE, ...widgetRows()], { 'PUT /api/v1/admin/settings/launcher-icon': () => fail(415, 'icon_type_unsupported') });
    await mount();
    await pickFile(new File([new Uint8Array(64 * 1024 + 1)], 'big.png', { type: 'image/png' }));
    expect(callsTo('PUT', '/api/v1/admin/settings/launcher-icon')).toEqual([]);
    expect(all('[role=alert]').map(text)).toEqual(['The icon may be at most 64 KB.']);
    await pickFile(new File(['not a picture'], 'notes.png', { type: 'image/png' }));
    expect(callsTo('PUT', '/api/v1/admin/settings/launcher-icon')).toHaveLength(1);
    expect(all('[role=alert]').map(text)).toEqual(['The icon must be a PNG, JPEG, GIF or WebP image.']);
  });

  it('every field has a label, and the preview’s composer does nothing', async () => {
    serve([...INSTANCE, ...widgetRows()]);
    await mount();
    const fields = all<HTMLInputElement>('[data-setting=widget] input:not([type=radio])');
    for (const field of fields) {
      const labelled = field.getAttribute('aria-label') ?? text(q(`label[for="${field.id}"]`));
      expect(labelled, field.outerHTML).toBeTruthy();
    }
    expect(all('[data-setting=widget] fieldset legend').map(text)).toEqual(['Launcher position', 'Greeting', 'Expected reply time', 'Away text']);
    expect(q<HTMLTextAreaElement>('.wp-composer textarea')!.disabled).toBe(true);
    expect(q<HTMLButtonElement>('.wp-composer button')!.disabled).toBe(true);
    expect(q('[data-testid=preview-launcher]')!.getAttribute('aria-hidden')).toBe('true');
  });

  it('a server that lists no widget settings shows no widget section', async () => {
    serve(INSTANCE);
    await mount();
    expect(control('Seat limit').value).toBe('5');
    expect(q('#widget-heading')).toBeNull();
  });
});

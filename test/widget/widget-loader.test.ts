// @vitest-environment happy-dom
// @vitest-environment-options {"settings":{"handleDisabledFileLoadingAsSuccess":true}}
/**
 * The loader (widget/src/embed/loader.ts), what widget.js is: it draws the launcher in the administrator's
 * brand (overridden by the tag), defines the whole `window.Parley` at once, and fetches the panel only on
 * open, on `data-open` or when the browser is idle, with the table of one locale; commands given before the
 * panel exists reach it once it does. On a phone the open panel holds the page still and Back closes it.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { PanelControls, PanelFiles, PanelHost } from '../../widget/src/embed/contract.js';
import { APPEARANCE_TIMEOUT_MS, startLoader } from '../../widget/src/embed/loader.js';
import { PHONE_QUERY } from '../../widget/src/embed/phone.js';
import type { ParleyApi } from '../../widget/types/parley.js';
import { en } from '../../widget/src/i18n/en.js';
import { fr } from '../../widget/src/i18n/fr.js';
import { BASE, WAIT } from '../helpers/widget-mount.js';
import { createFakeFetch, errorResponse, jsonResponse, type FakeFetch, type Handler } from '../helpers/widget-fakes.js';

const FILES: PanelFiles = { js: '/assets/panel-AAAA.js', shared: '/assets/panel-SHRD.js', thread: '/assets/panel-THRD.js', css: '/assets/panel-BBBB.css', locales: { en: '/assets/locale-en-C.js', fr: '/assets/locale-fr-D.js', ar: '/assets/locale-ar-E.js' } };
const SETTINGS = '/api/v1/widget/settings';

interface Loaded {
  fake: FakeFetch;
  imported: string[];
  /** What the panel was mounted with, and the commands it received. */
  mounted: PanelHost[];
  commands: string[];
  idle: (() => void)[];
  shadow: () => ShadowRoot;
}

const parley = () => (window as unknown as { Parley: ParleyApi & { q?: unknown } }).Parley;

/** Starts the loader for a tag with these data attributes, over a fake network and a fake panel module. */
function load(data: Record<string, string> = {}, settings: Handler = () => jsonResponse(200, { widget: {} }), failImport = false): Loaded {
  const fake = createFakeFetch({ [`GET ${SETTINGS}`]: settings });
  const loaded: Loaded = { fake, imported: [], mounted: [], commands: [], idle: [], shadow: () => document.querySelector('[data-parley-widget]')!.shadowRoot! };
  const script = document.createElement('script');
  script.src = `${BASE}/widget.js`;
  for (const [key, value] of Object.entries(data)) script.dataset[key] = value;
  const controls = (log: string[]): PanelControls => ({
    open: () => void log.push('open'),
    close: () => void log.push('close'),
    toggle: () => void log.push('toggle'),
    setDocument: (id) => void log.push(`document ${id ?? 'none'}`),
  });
  startLoader(script, {
    panel: FILES,
    fetch: fake.fetch,
    whenIdle: (run) => void loaded.idle.push(run),
    importModule: async (url) => {
      loaded.imported.push(url);
      if (failImport) throw new TypeError('Failed to fetch dynamically imported module');
      if (url.includes('/locale-')) return { default: url.includes('-fr-') ? fr : en };
      if (url.endsWith(FILES.shared)) return {};
      return { mount: (host: PanelHost, bind: (c: PanelControls) => void) => (loaded.mounted.push(host), bind(controls(loaded.commands))) };
    },
  });
  return loaded;
}

/** Fires the loads of the stylesheets the loader added (happy-dom does not fetch them). */
function stylesheetsLoad(loaded: Loaded) {
  for (const link of loaded.shadow().querySelectorAll('link')) link.dispatchEvent(new Event('load'));
}

const launcher = (loaded: Loaded) => loaded.shadow().querySelector<HTMLButtonElement>('button.launcher');
const wrapper = (loaded: Loaded) => loaded.shadow().querySelector<HTMLElement>('.parley');
/** The brand's accent and text colours the loader set on the widget. */
const brand = (loaded: Loaded) => ['--brand-accent', '--brand-on-accent'].map((name) => wrapper(loaded)!.style.getPropertyValue(name).trim());

/** The launcher drawn: stylesheet and appearance in. */
async function drawn(loaded: Loaded) {
  stylesheetsLoad(loaded);
  await vi.waitFor(() => expect(launcher(loaded)).not.toBeNull(), WAIT);
}

beforeEach(() => {
  delete (window as { Parley?: unknown }).Parley;
  document.documentElement.style.overflow = '';
});
afterEach(() => {
  document.querySelectorAll('[data-parley-widget]').forEach((e) => e.remove());
  delete (window as { Parley?: unknown }).Parley;
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

describe('the loader', () => {
  it('defines the whole API at once and draws the launcher once its stylesheet and the brand are in, without fetching the panel', async () => {
    const loaded = load();
    expect(Object.keys(parley()).sort()).toEqual(['close', 'identify', 'init', 'logout', 'on', 'open', 'setDocument', 'toggle']);
    expect(launcher(loaded)).toBeNull(); // not before its stylesheet: never unstyled
    expect([...loaded.shadow().querySelectorAll('link')].map((l) => l.getAttribute('href'))).toEqual([`${BASE}/widget.css`]);
    await drawn(loaded);
    expect(launcher(loaded)!.getAttribute('aria-label')).toBe(en.openChat);
    expect(launcher(loaded)!.getAttribute('aria-expanded')).toBe('false');
    expect(wrapper(loaded)!.className).toBe('parley theme-auto right');
    expect(loaded.imported).toEqual([]);
    expect(loaded.fake.requests.map((r) => `${r.method} ${r.path}`)).toEqual([`GET ${SETTINGS}`]);
    expect(loaded.fake.requests[0]!.url).toBe(`${BASE}${SETTINGS}?locale=en`);
    expect(loaded.fake.requests[0]!.credentials).toBe('omit');
  });

  it('fetches the panel, the chunk it imports, its stylesheet and one locale table on the first click, and opens it', async () => {
    const loaded = load({ locale: 'fr' });
    await drawn(loaded);
    launcher(loaded)!.click();
    await vi.waitFor(() => expect(loaded.imported).toEqual([`${BASE}${FILES.js}`, `${BASE}${FILES.shared}`, `${BASE}/assets/locale-fr-D.js`]), WAIT);
    stylesheetsLoad(loaded);
    await vi.waitFor(() => expect(loaded.mounted).toHaveLength(1), WAIT);
    expect(loaded.mounted[0]!.strings).toBe(fr);
    expect(loaded.mounted[0]!.locale).toEqual({ code: 'fr', dir: 'ltr' });
    expect([...loaded.shadow().querySelectorAll('link')].map((l) => l.getAttribute('href'))).toEqual([`${BASE}/widget.css`, `${BASE}${FILES.css}`]);
    expect(loaded.commands).toEqual(['document none', 'open']);
    // From now on the panel answers the launcher itself.
    launcher(loaded)!.click();
    expect(loaded.commands).toEqual(['document none', 'open', 'toggle']);
  });

  it('loads the panel when the browser is idle, closed', async () => {
    const loaded = load();
    await drawn(loaded);
    expect(loaded.idle).toHaveLength(1);
    loaded.idle[0]!();
    stylesheetsLoad(loaded);
    await vi.waitFor(() => expect(loaded.mounted).toHaveLength(1), WAIT);
    expect(loaded.mounted[0]!.initiallyOpen).toBe(false);
    expect(loaded.commands).toEqual(['document none']);
  });

  it('data-open="true" fetches the panel at once and opens it', async () => {
    const loaded = load({ open: 'true' });
    await drawn(loaded);
    await vi.waitFor(() => expect(loaded.imported).toHaveLength(3), WAIT);
    stylesheetsLoad(loaded);
    await vi.waitFor(() => expect(loaded.commands).toEqual(['document none', 'open']), WAIT);
    expect(loaded.idle).toEqual([]);
  });

  it("keeps the snippet's calls and the ones made before the panel exists, and hands them to the panel", async () => {
    const heard: string[] = [];
    (window as unknown as { Parley: unknown }).Parley = { q: [['on', ['ready', () => heard.push('ready')]], ['setDocument', ['doc-1']]] };
    const loaded = load();
    parley().toggle();
    parley().toggle(); // open, then closed again: nothing to open
    parley().open();
    await drawn(loaded);
    expect(heard).toEqual(['ready']);
    stylesheetsLoad(loaded);
    await vi.waitFor(() => expect(loaded.commands).toEqual(['document doc-1', 'open']), WAIT);
    expect(loaded.mounted[0]!.documentId).toBe('doc-1');
  });

  it("Parley.on(name) without a callback answers Velt's { subscribe } whose result unsubscribes", async () => {
    const loaded = load();
    const errors: unknown[] = [];
    const subscription = parley().on('error').subscribe((e) => errors.push(e));
    expect(() => parley().on('nonsense' as 'error')).toThrow(TypeError);
    parley().identify({ userId: 'u-1' }); // no token: an error event
    expect(errors).toEqual([{ code: 'token_missing', message: 'Parley.identify needs {authToken}.' }]);
    subscription.unsubscribe();
    parley().identify({ userId: 'u-1' });
    expect(errors).toHaveLength(1);
    await drawn(loaded);
  });

  it("draws in the administrator's brand: accent with a readable text colour, position, icon", async () => {
    const loaded = load({}, () => jsonResponse(200, { widget: { accentColor: '#ffd400', onAccentColor: '#000000', position: 'left', launcherIconUrl: 'https://cdn.example.com/icon.png', title: 'Acme help' } }));
    await drawn(loaded);
    expect(wrapper(loaded)!.classList.contains('left')).toBe(true);
    expect(brand(loaded)).toEqual(['#ffd400', '#000000']);
    expect(launcher(loaded)!.querySelector('img')?.getAttribute('src')).toBe('https://cdn.example.com/icon.png');
    expect(launcher(loaded)!.querySelector('img')?.getAttribute('alt')).toBe('');
    launcher(loaded)!.click();
    await vi.waitFor(() => expect(loaded.imported).toHaveLength(3), WAIT);
    stylesheetsLoad(loaded);
    await vi.waitFor(() => expect(loaded.mounted).toHaveLength(1), WAIT);
    expect(loaded.mounted[0]!.appearance.title).toBe('Acme help');
  });

  it("the tag's attributes win over the settings for this page; the text colour follows the tag's accent", async () => {
    const loaded = load(
      { accentColor: '#1A1A2E', position: 'right', title: ' Support ', launcherIcon: 'http://insecure.example/icon.png' },
      () => jsonResponse(200, { widget: { accentColor: '#ffd400', onAccentColor: '#000000', position: 'left', launcherIconUrl: 'https://cdn.example.com/icon.png' } }),
    );
    await drawn(loaded);
    expect(wrapper(loaded)!.classList.contains('right')).toBe(true);
    expect(brand(loaded)).toEqual(['#1a1a2e', '#ffffff']);
    // An icon on http is refused: the setting's stays.
    expect(launcher(loaded)!.querySelector('img')?.getAttribute('src')).toBe('https://cdn.example.com/icon.png');
  });

  it('an appearance that cannot be had (Parley down, not JSON) keeps the defaults and still draws', async () => {
    const loaded = load({}, () => errorResponse(503, 'database_unavailable'));
    await drawn(loaded);
    expect(brand(loaded)).toEqual(['', '']);
    expect(launcher(loaded)!.querySelector('svg')).not.toBeNull();
  });

  it('a panel that fails to load says network_error and is tried again on the next click', async () => {
    const loaded = load({}, undefined, true);
    const errors: unknown[] = [];
    parley().on('error', (e) => errors.push(e));
    vi.spyOn(console, 'error').mockImplementation(() => undefined);
    await drawn(loaded);
    launcher(loaded)!.click();
    await vi.waitFor(() => expect(errors).toEqual([{ code: 'network_error', message: 'The chat could not be loaded.' }]), { ...WAIT, timeout: 2000 });
    launcher(loaded)!.click();
    // Under other URLs: a browser may answer a module that failed once with the same failure. (The shared
    // chunk keeps its URL: panel.js names it.)
    await vi.waitFor(() => expect(loaded.imported.slice(3)).toEqual([`${BASE}${FILES.js}?retry=2`, `${BASE}${FILES.shared}`, `${BASE}/assets/locale-en-C.js?retry=2`]), WAIT);
  });

  it('an idle preload that fails is no error of the integrator: it is tried again when someone opens the chat', async () => {
    const loaded = load({}, undefined, true);
    const errors: unknown[] = [];
    parley().on('error', (e) => errors.push(e));
    vi.spyOn(console, 'error').mockImplementation(() => undefined);
    await drawn(loaded);
    loaded.idle[0]!();
    await vi.waitFor(() => expect(console.error).toHaveBeenCalled(), WAIT);
    expect(errors).toEqual([]);
    launcher(loaded)!.click();
    await vi.waitFor(() => expect(errors).toHaveLength(1), WAIT);
    expect(loaded.imported).toHaveLength(6);
  });

  it('an appearance that does not answer in time gives way to the defaults: the launcher is drawn anyway', async () => {
    vi.useFakeTimers();
    try {
      // A request that hangs until it is aborted, as fetch does.
      const loaded = load({}, (r) => new Promise<Response>((_, reject) => r.signal?.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError')))));
      stylesheetsLoad(loaded);
      await vi.advanceTimersByTimeAsync(APPEARANCE_TIMEOUT_MS - 1);
      expect(launcher(loaded)).toBeNull();
      expect(loaded.fake.requests[0]!.signal?.aborted).toBe(false);
      await vi.advanceTimersByTimeAsync(1);
      expect(loaded.fake.requests[0]!.signal?.aborted).toBe(true);
      await vi.advanceTimersByTimeAsync(0);
      expect(launcher(loaded)).not.toBeNull();
      expect(brand(loaded)).toEqual(['', '']);
    } finally {
      vi.useRealTimers();
    }
  });

  it('loaded twice, the first copy stays in charge', async () => {
    const first = load();
    const api = parley();
    load();
    expect(parley()).toBe(api);
    expect(document.querySelectorAll('[data-parley-widget]')).toHaveLength(1);
    await drawn(first);
  });
});

describe('on a phone', () => {
  /** A viewport under 480 px. */
  const phone = () => vi.stubGlobal('matchMedia', (query: string) => ({ matches: query === PHONE_QUERY }) as MediaQueryList);

  it('the open panel holds the host page still; closing gives the page its own overflow back and leaves history as it was', async () => {
    phone();
    document.documentElement.style.overflow = 'clip';
    const push = vi.spyOn(history, 'pushState');
    const back = vi.spyOn(history, 'back').mockImplementation(() => undefined);
    const loaded = load();
    await drawn(loaded);
    const emitter = loaded; // the panel emits open/close through the host's emitter
    launcher(loaded)!.click();
    stylesheetsLoad(loaded);
    await vi.waitFor(() => expect(loaded.mounted).toHaveLength(1), WAIT);
    emitter.mounted[0]!.emitter.emit('open');
    expect(document.documentElement.style.overflow).toBe('hidden');
    expect(push).toHaveBeenCalledTimes(1);
    emitter.mounted[0]!.emitter.emit('close');
    expect(document.documentElement.style.overflow).toBe('clip');
    expect(back).toHaveBeenCalledTimes(1);
  });

  it('Back closes the open panel (and does not go back a second time)', async () => {
    phone();
    vi.spyOn(history, 'pushState').mockImplementation(() => undefined);
    const back = vi.spyOn(history, 'back').mockImplementation(() => undefined);
    const loaded = load();
    await drawn(loaded);
    launcher(loaded)!.click();
    stylesheetsLoad(loaded);
    await vi.waitFor(() => expect(loaded.mounted).toHaveLength(1), WAIT);
    const emitter = loaded.mounted[0]!.emitter;
    emitter.emit('open');
    window.dispatchEvent(new PopStateEvent('popstate'));
    expect(loaded.commands.at(-1)).toBe('close');
    emitter.emit('close'); // what the panel does when told to close
    expect(back).not.toHaveBeenCalled();
    expect(document.documentElement.style.overflow).toBe('');
  });

  it("closed and opened again in one turn: the late popstate of closing's own Back does not close the panel again", async () => {
    phone();
    vi.spyOn(history, 'pushState').mockImplementation(() => undefined);
    vi.spyOn(history, 'back').mockImplementation(() => undefined);
    const loaded = load();
    await drawn(loaded);
    launcher(loaded)!.click();
    stylesheetsLoad(loaded);
    await vi.waitFor(() => expect(loaded.mounted).toHaveLength(1), WAIT);
    const emitter = loaded.mounted[0]!.emitter;
    emitter.emit('open');
    emitter.emit('close'); // goes back: its popstate arrives later
    emitter.emit('open');
    window.dispatchEvent(new PopStateEvent('popstate')); // the late one, ours
    expect(loaded.commands).not.toContain('close');
    window.dispatchEvent(new PopStateEvent('popstate')); // the user's Back
    expect(loaded.commands.at(-1)).toBe('close');
  });

  it('on a wide screen nothing of the host page is touched', async () => {
    vi.stubGlobal('matchMedia', () => ({ matches: false }) as unknown as MediaQueryList);
    const push = vi.spyOn(history, 'pushState');
    const loaded = load();
    await drawn(loaded);
    launcher(loaded)!.click();
    stylesheetsLoad(loaded);
    await vi.waitFor(() => expect(loaded.mounted).toHaveLength(1), WAIT);
    loaded.mounted[0]!.emitter.emit('open');
    expect(document.documentElement.style.overflow).toBe('');
    expect(push).not.toHaveBeenCalled();
  });
});

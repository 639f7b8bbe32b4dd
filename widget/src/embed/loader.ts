/**
 * widget.js, the one script tag an integrator adds: small on purpose. It reads its own tag, adds one element
 * whose Shadow DOM holds the launcher (styled by widget.css from Parley's origin, never inline), signs in by
 * exchanging the code, and replaces the snippet's `window.Parley` queue with the whole API. The panel's code
 * and stylesheet come later from Parley's origin (on first open, on `data-open`, or when the browser is
 * idle); commands given before then are kept and applied once it is there. Nothing else is added to the
 * host page: no cookies, no other globals, no handlers on the host's elements.
 */
import { textColorOn } from '#shared/contrast.js';
import { LAUNCHER_STRINGS, pickLocaleCode } from '../i18n/launcher.js';
import { readConfig, type WidgetConfig } from './config.js';
import type { Appearance, LocaleModule, PanelControls, PanelFiles, PanelModule } from './contract.js';
import { createEmitter, createParleyApi, identityMismatch, type IdentifyUser } from './js-api.js';
import { createLauncher } from './launcher.js';
import { followPhoneLayout } from './phone.js';
import { createSession } from './session.js';

type Stub = { q?: [string, ArrayLike<unknown>][]; __parley?: true };

export interface LoaderDeps {
  /** The panel's script, stylesheet and locale modules. */
  panel: PanelFiles;
  /** Loads an ES module (a dynamic `import()` in the browser): the panel, and its locale's table. */
  importModule: (url: string) => Promise<unknown>;
  /** Runs `load` once the browser is idle. */
  whenIdle?: (load: () => void) => void;
  fetch?: typeof fetch;
}

export const APPEARANCE_TIMEOUT_MS = 3000;

/** The appearance of an instance whose administrator set nothing. */
export const DEFAULT_APPEARANCE: Appearance = {
  teamName: null,
  avatarUrl: null,
  title: null,
  accentColor: null,
  onAccentColor: null,
  launcherIconUrl: null,
  position: 'right',
  greeting: null,
  replyTime: null,
  awayText: null,
};

/** The administrator's appearance (a failure keeps the defaults: the chat works without its brand). */
async function fetchAppearance(fetchImpl: typeof fetch, config: WidgetConfig, locale: string): Promise<Appearance> {
  let settings: Partial<Appearance> = {};
  // The launcher waits for the brand, but not for a request that hangs.
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), APPEARANCE_TIMEOUT_MS);
  try {
    const response = await fetchImpl(`${config.baseUrl}/api/v1/widget/settings?locale=${locale}`, { credentials: 'omit', signal: abort.signal });
    if (response.ok) {
      const body = (await response.json()) as { widget?: Partial<Appearance>; signInMethods?: string[] };
      settings = { ...body.widget, emailSignIn: body.signInMethods?.includes('email') === true };
    }
  } catch {
    // unreachable, too slow or not JSON: the defaults
  } finally {
    clearTimeout(timer);
  }
  const appearance: Appearance = { ...DEFAULT_APPEARANCE, ...settings };
  // The tag's attributes win over the settings, for this page only.
  if (config.position) appearance.position = config.position;
  if (config.title) appearance.title = config.title;
  if (config.launcherIcon) appearance.launcherIconUrl = config.launcherIcon;
  if (config.accentColor) appearance.accentColor = config.accentColor;
  appearance.onAccentColor = appearance.accentColor ? textColorOn(appearance.accentColor) : null;
  return appearance;
}

const defaultIdle = (load: () => void) =>
  typeof requestIdleCallback === 'function' ? requestIdleCallback(load, { timeout: 4000 }) : setTimeout(load, 2000);

export function startLoader(script: HTMLScriptElement, deps: LoaderDeps): void {
  const host = window as unknown as { Parley?: Stub };
  if (host.Parley?.__parley) return; // loaded twice: the first copy stays in charge
  const fetchImpl = deps.fetch ?? fetch.bind(globalThis);
  const config = readConfig(script);
  const locale = pickLocaleCode(config.locale, typeof navigator === 'undefined' ? [] : (navigator.languages ?? []));
  const emitter = createEmitter();
  const session = createSession({ baseUrl: config.baseUrl, fetch: fetchImpl, onError: (e) => emitter.emit('error', e) });
  // Commands before the panel has bound its controls are kept: the last of open/close/toggle, and the document.
  let controls: PanelControls | null = null;
  let pending: 'open' | 'close' | 'toggle' | null = null;
  let documentId = config.documentId;

  const element = document.createElement('div');
  element.setAttribute('data-parley-widget', '');
  const shadow = element.attachShadow({ mode: 'open' });
  const link = (href: string) => {
    const sheet = document.createElement('link');
    sheet.rel = 'stylesheet';
    sheet.href = config.baseUrl + href;
    shadow.appendChild(sheet);
    // Loaded or not, go on: an unstyled chat beats none.
    return new Promise<void>((resolve) => {
      sheet.addEventListener('load', () => resolve(), { once: true });
      sheet.addEventListener('error', () => resolve(), { once: true });
    });
  };
  const stylesheet = link('/widget.css');
  const wrapper = document.createElement('div');
  wrapper.className = `parley theme-${config.theme}`;
  const root = document.createElement('div');
  root.className = 'panel-root';
  wrapper.appendChild(root);

  let panel: Promise<void> | null = null;
  let panelSheet: Promise<void> | null = null;
  // Browsers remember a module that failed to load: a retry asks for it under another URL.
  let attempts = 0;
  const appearance = fetchAppearance(fetchImpl, config, locale.code);
  const launcher = createLauncher(wrapper, LAUNCHER_STRINGS.get(locale.code)!, locale, () => (controls ? controls.toggle() : command('toggle')));

  function loadPanel(): Promise<void> {
    if (panel) return panel;
    const table = deps.panel.locales[locale.code] ?? deps.panel.locales['en']!;
    const retry = attempts++ > 0 ? `?retry=${attempts}` : '';
    panel = Promise.all([
      deps.importModule(config.baseUrl + deps.panel.js + retry) as Promise<PanelModule>,
      // What panel.js imports, fetched beside it rather than after it (under its own URL: panel.js names it).
      deps.importModule(config.baseUrl + deps.panel.shared),
      deps.importModule(config.baseUrl + table + retry) as Promise<LocaleModule>,
      (panelSheet ??= link(deps.panel.css)),
      appearance,
    ]).then(
      ([module, , strings, , look]) =>
        module.mount(
          { baseUrl: config.baseUrl, session, emitter, locale, strings: strings.default, appearance: look, theme: config.theme, root, launcher, initiallyOpen: config.open, documentId, threadUrl: config.baseUrl + deps.panel.thread },
          (c) => {
            controls = c;
            c.setDocument(documentId);
            if (pending) c[pending]();
            pending = null;
          },
        ),
      (error: unknown) => {
        panel = null; // a later open tries again, from a closed panel
        // The integrator hears of it when someone asked for the chat, not of an idle preload that failed.
        if (pending === 'open') emitter.emit('error', { code: 'network_error', message: 'The chat could not be loaded.' });
        pending = null;
        console.error('Parley: the panel could not be loaded', error);
      },
    );
    return panel;
  }
  function command(name: 'open' | 'close' | 'toggle') {
    if (controls) return controls[name]();
    // Before the panel exists it is closed: toggling opens it.
    pending = name === 'toggle' ? (pending === 'open' ? 'close' : 'open') : name;
    if (pending === 'open') void loadPanel();
  }

  const queued = host.Parley?.q ?? [];
  const api = createParleyApi(
    {
      identify(user: IdentifyUser, authToken) {
        if (!authToken) return emitter.emit('error', { code: 'token_missing', message: 'Parley.identify needs {authToken}.' });
        const mismatch = identityMismatch(user, authToken);
        if (mismatch) return emitter.emit('error', { code: mismatch, message: 'The token does not belong to this user.' });
        void session.signIn(authToken);
      },
      open: () => command('open'),
      close: () => command('close'),
      toggle: () => command('toggle'),
      setDocument(id) {
        documentId = id;
        controls?.setDocument(id);
      },
      logout: () => void session.logout(),
      setAuthProvider(provider) {
        session.setAuthProvider(provider);
        // Nothing to sign in with yet: ask the provider for the first code.
        if (provider && !config.externalAuthCode && session.state.status === 'idle') void session.startFromProvider();
      },
    },
    emitter,
    queued,
  );
  Object.defineProperty(api, '__parley', { value: true });
  host.Parley = api as unknown as Stub;
  followPhoneLayout(emitter, () => controls?.close(), element);

  // Draw once the stylesheet and the brand are in, so the launcher never flashes unstyled or off-brand.
  void Promise.all([stylesheet, appearance]).then(([, look]) => {
    wrapper.classList.add(look.position);
    if (look.accentColor) wrapper.style.cssText = `--brand-accent:${look.accentColor};--brand-on-accent:${look.onAccentColor}`;
    launcher.setIcon(look.launcherIconUrl);
    shadow.appendChild(wrapper);
    emitter.emit('ready');
    if (!config.open) (deps.whenIdle ?? defaultIdle)(() => void loadPanel());
  });
  (document.body ?? document.documentElement).appendChild(element);
  // Open on load: the panel's files are fetched now, beside the stylesheet and the brand, not after them.
  if (config.open) command('open');

  if (config.externalAuthCode) void session.signIn(config.externalAuthCode);
}

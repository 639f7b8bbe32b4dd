/**
 * The embedded Widget (widget/src/embed/Widget.tsx) in a happy-dom test, set up as the embed script sets it
 * up: a real session over the fake network of widget-fakes.ts (also the global fetch, which the API client
 * and the event stream use), an emitter whose every event the test hears, and a fresh container per test.
 */
import { render } from 'preact';
import { act } from 'preact/test-utils';
import { vi } from 'vitest';
import { createEmitter, type Emitter } from '../../widget/src/embed/js-api.js';
import { preloadThread } from '../../widget/src/chat/thread-loader.js';
import { createSession, type Session } from '../../widget/src/embed/session.js';
import type { Appearance } from '../../widget/src/embed/contract.js';
import { createLauncher } from '../../widget/src/embed/launcher.js';
import { DEFAULT_APPEARANCE } from '../../widget/src/embed/loader.js';
import { Widget, type WidgetControls } from '../../widget/src/embed/Widget.js';
import { pickLocale } from '../../widget/src/i18n/locales.js';
import { addContainer, unmount } from './dom.js';
import { createFakeFetch, type FakeFetch, type Handler } from './widget-fakes.js';

export const BASE = 'https://parley.test';
/** The bound of every `vi.waitFor` of a widget test. */
export const WAIT = { timeout: 10_000, interval: 5 };

/** The events of `Parley.on`. */
const EVENTS = ['ready', 'open', 'close', 'message', 'unread', 'error'] as const;

export interface WidgetTest {
  container: HTMLElement;
  fake: FakeFetch;
  emitter: Emitter;
  /** Everything the widget told `Parley.on` listeners, in order. */
  heard: [string, unknown][];
}

/** For `beforeEach`: a fresh container, the fake network answering from `handlers` as the global fetch, and an emitter heard. */
export function setUpWidgetTest(handlers: Record<string, Handler>): WidgetTest {
  const container = addContainer();
  const fake = createFakeFetch(handlers);
  // The widget's API client and event stream use the global fetch (the session takes it as an option).
  vi.stubGlobal('fetch', fake.fetch);
  const emitter = createEmitter();
  const heard: [string, unknown][] = [];
  for (const event of EVENTS) emitter.on(event, (payload) => heard.push([event, payload]));
  return { container, fake, emitter, heard };
}

/** For `afterEach`: unmounts the widget, removes its container and restores the global fetch. */
export async function tearDownWidgetTest(container: HTMLElement): Promise<void> {
  await unmount(container);
  container.remove();
  vi.unstubAllGlobals();
}

/** A session over `fake` whose errors go to `Parley.on('error')`, and whose backoff never ends. */
export const newTestSession = (fake: FakeFetch, emitter: Emitter): Session =>
  createSession({ baseUrl: BASE, fetch: fake.fetch, onError: (e) => emitter.emit('error', e), sleep: () => new Promise<void>(() => undefined) });

export interface MountWidgetOptions {
  /** The `data-locale` of the tag (English unless told). */
  locale?: string;
  /** `data-open`: the panel open at first. */
  open?: boolean;
  /** `data-document-id`: the document whose room the panel shows. */
  documentId?: string | null;
  /** The administrator's appearance settings (none by default). */
  appearance?: Partial<Appearance>;
}

/** The controls a container's Widget bound (a re-render with other props keeps the same ones). */
const boundControls = new WeakMap<HTMLElement, WidgetControls>();


/**
 * Renders the Widget into `container` with a launcher (launcher.ts) whose clicks toggle the panel, as the
 * loader does in the widget's shadow root.
 */
export async function mountWidget(
  container: HTMLElement,
  { session, emitter, bindControls }: { session: Session; emitter: Emitter; bindControls: (controls: WidgetControls) => void },
  options: MountWidgetOptions = {},
): Promise<void> {
  const locale = pickLocale(options.locale ?? 'en', []);
  // The open conversation's view is a module the panel loads after it: these tests see it from the start.
  await preloadThread();
  // The panel renders into the container itself (so unmounting the container unmounts it), the launcher
  // beside it once rendered (Preact's first render would drop a node it does not own); a new mount (another
  // locale) replaces the previous launcher.
  container.querySelector(':scope > .parley')?.remove();
  const wrapper = document.createElement('div');
  wrapper.className = 'parley right theme-auto';
  const launcher = createLauncher(wrapper, locale.strings, locale, () => boundControls.get(container)?.toggle());
  await act(() => {
    render(
      <Widget
        baseUrl={BASE}
        session={session}
        emitter={emitter}
        strings={locale.strings}
        dir={locale.dir}
        lang={locale.code}
        appearance={{ ...DEFAULT_APPEARANCE, ...options.appearance }}
        launcher={launcher}
        initiallyOpen={options.open ?? false}
        documentId={options.documentId}
        bindControls={(c) => {
          boundControls.set(container, c);
          bindControls(c);
        }}
      />,
      container,
    );
  });
  container.append(wrapper);
}

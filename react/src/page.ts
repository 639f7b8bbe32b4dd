/**
 * The page-wide half of the binding: `window.Parley` and the one script tag. Both belong to the page, not to
 * a React tree, so they are found or made once per document and never taken away.
 */
import type { ParleyApi } from '../../widget/types/parley.js';

/** The methods the README's queue snippet stubs, in its order. */
const METHODS = ['identify', 'open', 'close', 'toggle', 'logout', 'setDocument', 'on', 'init'] as const;
type Method = (typeof METHODS)[number];
type QueuedCall = [string, ArrayLike<unknown>];
type Stub = { [M in Method]?: (...args: unknown[]) => unknown } & { q?: QueuedCall[]; __parley?: true };

const hostOf = (w: Window) => w as unknown as { Parley?: Stub };

/**
 * Answers `window.Parley`, first installing the README snippet's queue when the page has none: a stub per
 * method that pushes `[method, arguments]` onto `Parley.q`, and whose return value (the `off` of `on`) queues
 * `["_off", arguments]`. widget.js replays the queue in order when it loads and then makes later pushes run at
 * once, so a stub kept from before the load keeps working. A `window.Parley` already there (the snippet of
 * the page, or the loaded widget) is kept and only completed.
 */
export function parleyOf(w: Window): ParleyApi {
  const host = hostOf(w);
  const p: Stub = (host.Parley ??= { q: [] });
  for (const method of METHODS) {
    p[method] ??= (...args: unknown[]) => {
      (p.q ??= []).push([method, args]);
      return () => void p.q?.push(['_off', args]);
    };
  }
  return p as unknown as ParleyApi;
}

/** The `data-*` attributes of the widget's tag (README.md, The widget), read by widget.js once, at load. */
export interface ScriptAttributes {
  externalAuthCode?: string | undefined;
  documentId?: string | null | undefined;
  position?: 'left' | 'right' | undefined;
  open?: boolean | undefined;
  locale?: string | undefined;
  theme?: 'light' | 'dark' | 'auto' | undefined;
  accentColor?: string | undefined;
}

const ATTRIBUTE_NAMES: ReadonlyMap<keyof ScriptAttributes, string> = new Map([
  ['externalAuthCode', 'data-external-auth-code'],
  ['documentId', 'data-document-id'],
  ['position', 'data-position'],
  ['open', 'data-open'],
  ['locale', 'data-locale'],
  ['theme', 'data-theme'],
  ['accentColor', 'data-accent-color'],
]);

/**
 * Adds widget.js's script tag to `doc` unless the page already has one with the same URL or the widget is
 * already running there (a tag written by hand, another provider, a second effect of StrictMode). Answers
 * whether it added the tag.
 */
export function addScriptOnce(doc: Document, src: string, attributes: ScriptAttributes): boolean {
  const url = new URL(src, doc.baseURI).href;
  const w = doc.defaultView;
  if (w && hostOf(w).Parley?.__parley) return false;
  for (const script of Array.from(doc.querySelectorAll('script[src]'))) {
    if ((script as HTMLScriptElement).src === url) return false;
  }
  const script = doc.createElement('script');
  // Inserted by script, it runs as soon as it has loaded (async) without blocking the page.
  script.src = url;
  for (const [key, name] of ATTRIBUTE_NAMES) {
    const value = attributes[key];
    if (value === undefined || value === null || value === false || value === '') continue;
    script.setAttribute(name, String(value));
  }
  (doc.head ?? doc.documentElement).appendChild(script);
  return true;
}

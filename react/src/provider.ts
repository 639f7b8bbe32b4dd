/**
 * `<ParleyProvider>` and `useParley()`: the provider puts widget.js on the page once, hands its subtree a
 * stable client of `window.Parley`, and registers its `authProvider` with the widget.
 */
import { createContext, createElement, useContext, useEffect, useRef, useState, type ReactElement, type ReactNode } from 'react';
import type { ParleyApi, ParleyAuthProvider } from '../../widget/types/parley.js';
import { createProviderClient } from './client.js';
import { addScriptOnce, parleyOf, type ScriptAttributes } from './page.js';

export interface ParleyProviderProps extends ScriptAttributes {
  /** The URL of widget.js on your Parley server, e.g. `https://chat.example.com/widget.js`. */
  src: string;
  /**
   * Where the widget gets a fresh externalAuthCode when a session or code expires (and the first one, when
   * nothing else signs in). Its latest value is called; it stays registered after the provider unmounts, as
   * the widget does.
   */
  authProvider?: ParleyAuthProvider | undefined;
  children?: ReactNode;
}

const ParleyContext = createContext<ParleyApi | null>(null);

/**
 * Adds widget.js's script tag to the page once (never a second time: not for StrictMode's second effect, a
 * second provider or a tag already on the page), with `src` and the `data-*` attributes of the other props,
 * which the widget reads once when it loads. Until it has loaded, calls are queued on `window.Parley` as the
 * README's snippet does, and replayed by the widget. A `documentId` changed later goes to
 * `Parley.setDocument`. Unmounting leaves the widget on the page (it is one per page) but ends every
 * subscription made through this provider's client.
 */
export function ParleyProvider(props: ParleyProviderProps): ReactElement {
  const { src, authProvider, documentId, children } = props;
  if (typeof src !== 'string' || src.trim() === '') throw new TypeError('ParleyProvider: src must be the URL of widget.js');
  const [{ client, unsubscribeAll }] = useState(createProviderClient);

  const latestAuthProvider = useRef(authProvider);
  const [stableAuthProvider] = useState<ParleyAuthProvider>(() => ({
    generateToken() {
      const current = latestAuthProvider.current;
      if (!current) throw new Error('ParleyProvider: no authProvider any more');
      return current.generateToken();
    },
  }));
  const registered = useRef(false);
  // undefined: this provider has not decided the widget's document yet.
  const appliedDocument = useRef<string | null | undefined>(undefined);

  // The tag's attributes are the first render's: widget.js reads them once.
  useEffect(() => {
    parleyOf(window);
    if (addScriptOnce(document, src, props)) appliedDocument.current = documentId ?? null;
    return unsubscribeAll;
  }, []);

  useEffect(() => {
    latestAuthProvider.current = authProvider;
  });

  const hasAuthProvider = authProvider !== undefined;
  useEffect(() => {
    // Registered once per provider (a ref survives StrictMode's second effect); the object registered is
    // stable and calls the latest prop, so a new `{ generateToken }` each render changes nothing.
    if (hasAuthProvider && !registered.current) client.init({ authProvider: stableAuthProvider });
    else if (!hasAuthProvider && registered.current) client.init({});
    registered.current = hasAuthProvider;
  }, [client, hasAuthProvider, stableAuthProvider]);

  useEffect(() => {
    const wanted = documentId ?? null;
    // A provider mounted on a page whose widget is already there says nothing until it has a document.
    if (appliedDocument.current === undefined && wanted === null) return;
    if (appliedDocument.current !== wanted) client.setDocument(wanted);
    appliedDocument.current = wanted;
  }, [client, documentId]);

  return createElement(ParleyContext.Provider, { value: client }, children);
}

/**
 * The `window.Parley` API for this subtree (widget/types/parley.d.ts), the same object at every render, so
 * it can be an effect's dependency: `useEffect(() => client.identify(user, { authToken }), [client, user,
 * authToken])`. Throws a TypeError outside a `<ParleyProvider>`.
 */
export function useParley(): ParleyApi {
  const client = useContext(ParleyContext);
  if (client === null) throw new TypeError('useParley() must be called inside a <ParleyProvider>');
  return client;
}

/**
 * The object `useParley()` answers: the `window.Parley` API, each call made on whatever `window.Parley` is at
 * that moment (the queue before widget.js has loaded, the widget after), and every `on` subscription made
 * through it remembered so that its provider can end them all when it unmounts.
 */
import type { ParleyApi, ParleyEventName } from '../../widget/types/parley.js';
import { parleyOf } from './page.js';

export interface ProviderClient {
  client: ParleyApi;
  /** Ends every subscription made through `client` that is still open. */
  unsubscribeAll(): void;
}

function parley(): ParleyApi {
  if (typeof window === 'undefined') throw new TypeError('Parley: the client is for the browser; call it in an effect or an event handler');
  return parleyOf(window);
}

/** Builds a client; its methods never change, so it can be an effect's dependency. */
export function createProviderClient(): ProviderClient {
  const open = new Set<() => void>();
  const subscribe = (event: ParleyEventName, callback: (payload: never) => void): (() => void) => {
    const off: unknown = parley().on(event, callback as (payload: unknown) => void);
    // Idempotent, like a React effect cleanup must be: StrictMode and the provider may both call it.
    const unsubscribe = () => {
      if (!open.delete(unsubscribe)) return;
      if (typeof off === 'function') off();
    };
    open.add(unsubscribe);
    return unsubscribe;
  };
  const client: ParleyApi = {
    identify: (user, options) => parley().identify(user, options),
    open: () => parley().open(),
    close: () => parley().close(),
    toggle: () => parley().toggle(),
    logout: () => parley().logout(),
    setDocument: (documentId) => parley().setDocument(documentId),
    init: (options) => parley().init(options),
    // Both forms of `Parley.on`: `on(name, cb)` answers an off function; `on(name)`, Velt's shape, answers
    // `{ subscribe(cb) }` whose result has `unsubscribe()`. The second is built on the first here, so it also
    // works before widget.js has loaded (the snippet's stub only knows the first).
    on: ((event: ParleyEventName, callback?: (payload: never) => void) => {
      if (callback === undefined) return { subscribe: (cb: (payload: never) => void) => ({ unsubscribe: subscribe(event, cb) }) };
      return subscribe(event, callback);
    }) as ParleyApi['on'],
  };
  return {
    client,
    unsubscribeAll: () => [...open].forEach((unsubscribe) => unsubscribe()),
  };
}

/**
 * The open conversation's view (thread.tsx) is a module of its own in the widget's build, loaded a moment
 * after the panel: the widget asks for it as soon as its panel has loaded, ChatView when it mounts. This
 * holds the one load of it for the page.
 */
import type * as ThreadModule from './thread.js';

let threadModule: typeof ThreadModule | null = null;
let threadLoading: Promise<typeof ThreadModule> | null = null;
let threadUrl: string | null = null;
let threadAttempts = 0;
/** Where the widget's build put the thread's view: a retry asks for it under another URL (see below). */
export function setThreadUrl(url: string): void {
  threadUrl = url;
}
/**
 * Loads the thread's view. A failed load (offline) is tried again at the next call, under another URL when
 * the widget named it: a browser may answer a module that failed once with the same failure.
 */
export function preloadThread(): Promise<typeof ThreadModule> {
  if (threadLoading) return threadLoading;
  const loading = threadAttempts++ > 0 && threadUrl !== null ? (import(/* @vite-ignore */ `${threadUrl}?retry=${threadAttempts}`) as Promise<typeof ThreadModule>) : import('./thread.js');
  return (threadLoading = loading.then(
    (m) => (threadModule = m),
    (error: unknown) => {
      threadLoading = null;
      throw error;
    },
  ));
}

/** The view, if it has loaded already. */
export function loadedThread(): typeof ThreadModule | null {
  return threadModule;
}

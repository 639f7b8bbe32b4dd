/**
 * The panel's entry (an ES module under /assets/, content-hashed): the chat, drawn into the loader's shadow
 * root with its own stylesheet (panel.css). The loader imports it on first open, on `data-open` or when the
 * browser is idle, with the table of the user's locale (one module per locale), and calls `mount` once. It
 * shares a chunk (Preact, the chat's common code) with the open conversation's view, which it fetches next.
 */
import { render } from 'preact';
import { preloadThread, setThreadUrl } from '../chat/thread-loader.js';
import type { PanelHost, PanelControls } from './contract.js';
import { Widget } from './Widget.js';
import './panel.css';

export function mount(host: PanelHost, bind: (controls: PanelControls) => void): void {
  // The open conversation's view (a chunk of its own): fetched now, while the home view is what shows.
  setThreadUrl(host.threadUrl);
  preloadThread().catch(() => undefined);
  render(
    <Widget
      baseUrl={host.baseUrl}
      session={host.session}
      emitter={host.emitter}
      strings={host.strings}
      dir={host.locale.dir}
      lang={host.locale.code}
      appearance={host.appearance}
      launcher={host.launcher}
      initiallyOpen={host.initiallyOpen}
      documentId={host.documentId}
      bindControls={bind}
    />,
    host.root,
  );
}

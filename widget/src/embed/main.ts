/** The entry of widget.js: starts the loader for its own script tag (see loader.ts). */
import type { PanelFiles } from './contract.js';
import { startLoader } from './loader.js';

/** The panel's files, named by content hash at build time (scripts/build.mjs). */
declare const __PARLEY_PANEL__: PanelFiles;

const current = document.currentScript;
if (current instanceof HTMLScriptElement && current.src) {
  const script = current;
  const start = () => startLoader(script, { panel: __PARLEY_PANEL__, importModule: (url) => import(/* @vite-ignore */ url) });
  if (document.body) start();
  else document.addEventListener('DOMContentLoaded', start, { once: true });
}

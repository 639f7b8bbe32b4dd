/**
 * On a phone (a viewport under 480 px) the open panel fills the screen (widget.css), so the host page must
 * not scroll behind it and the back button must close it, as it would close a native screen. The host's own
 * inline `overflow` is put back exactly as it was, and the history entry added on opening is removed on
 * closing, so the host's history and styles end as they began.
 */
import type { Emitter } from './js-api.js';

export const PHONE_QUERY = '(max-width: 479.98px)';

export function followPhoneLayout(emitter: Emitter, close: () => void, element: HTMLElement): void {
  if (typeof matchMedia !== 'function') return;
  const html = document.documentElement;
  let saved: string | null = null;
  let pushed = false;
  // history.back() answers later, with a popstate of its own: that one is ours, not the user's Back (the
  // panel may have been opened again meanwhile).
  let ownBacks = 0;
  let listening = false;
  const onPopState = () => {
    if (ownBacks > 0) return void ownBacks--;
    if (!pushed) return;
    // Back was pressed while the panel was open: our entry is gone, close without going back again.
    pushed = false;
    close();
  };
  emitter.on('open', () => {
    if (!matchMedia(PHONE_QUERY).matches) return;
    saved = html.style.overflow;
    html.style.overflow = 'hidden';
    element.toggleAttribute('data-open', true);
    history.pushState(history.state, '');
    pushed = true;
    if (!listening) addEventListener('popstate', onPopState);
    listening = true;
  });
  emitter.on('close', () => {
    element.removeAttribute('data-open');
    if (saved !== null) html.style.overflow = saved;
    saved = null;
    if (pushed) {
      pushed = false;
      ownBacks++;
      history.back();
    }
  });
}

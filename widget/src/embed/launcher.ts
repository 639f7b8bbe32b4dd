/**
 * The launcher: a real `<button>` with the chat icon (or the brand's image), an unread badge and a polite
 * live region that says the count. Plain DOM, no framework: it is drawn by the loader before any of the
 * panel's code has arrived.
 */
import type { LauncherStrings } from '../i18n/launcher.js';

export interface Launcher {
  element: HTMLButtonElement;
  setOpen(open: boolean): void;
  setUnread(count: number): void;
  /** An image URL in place of the chat icon; null goes back to the icon (as does an image that fails to load). */
  setIcon(url: string | null): void;
}

const ICON = '<svg viewBox="0 0 24 24" width="26" height="26" aria-hidden="true"><path fill="currentColor" d="M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H8l-4 4V6a2 2 0 0 1 2-2z"/></svg>';

/** Builds the launcher and its live region inside `parent`; `onClick` toggles the panel. */
export function createLauncher(parent: HTMLElement, t: LauncherStrings, locale: { code: string; dir: string }, onClick: () => void): Launcher {
  const doc = parent.ownerDocument;
  const button = doc.createElement('button');
  button.type = 'button';
  button.className = 'launcher';
  button.lang = locale.code;
  button.setAttribute('aria-controls', 'parley-panel');
  const icon = doc.createElement('span');
  icon.className = 'icon';
  const badge = doc.createElement('span');
  badge.className = 'badge';
  badge.dataset['testid'] = 'unread';
  button.append(icon);
  const live = doc.createElement('div');
  live.className = 'sr-only';
  live.setAttribute('aria-live', 'polite');
  live.dir = locale.dir;
  live.lang = locale.code;
  parent.append(button, live);
  button.addEventListener('click', onClick);

  let open = false;
  let unread = 0;
  const render = () => {
    const label = open ? t.closeChat : t.openChat;
    button.setAttribute('aria-label', unread > 0 ? `${label} (${t.unread(unread)})` : label);
    button.setAttribute('aria-expanded', String(open));
    badge.textContent = unread > 99 ? '99+' : String(unread);
    if (unread > 0) button.append(badge);
    else badge.remove();
    live.textContent = unread > 0 ? t.unread(unread) : '';
  };
  const setIcon = (url: string | null) => {
    icon.innerHTML = ICON;
    if (!url) return;
    const img = doc.createElement('img');
    img.alt = '';
    img.width = img.height = 32;
    img.addEventListener('error', () => setIcon(null), { once: true });
    img.src = url;
    icon.replaceChildren(img);
  };
  setIcon(null);
  render();
  return {
    element: button,
    setOpen(next) {
      open = next;
      parent.classList.toggle('open', next);
      render();
    },
    setUnread(count) {
      if (count === unread) return;
      unread = count;
      render();
    },
    setIcon,
  };
}

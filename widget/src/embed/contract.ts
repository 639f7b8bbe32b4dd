/**
 * What the loader (widget.js, on every host page) and the panel (loaded on first open, on `data-open` or
 * when the browser is idle) hand each other. The loader owns the host page's side: the one element, the
 * launcher, `window.Parley`, the session; the panel draws the chat inside the loader's shadow root.
 */
import type { LocaleStrings } from '../i18n/locale-strings.js';
import type { Emitter } from './js-api.js';
import type { Launcher } from './launcher.js';
import type { Session } from './session.js';

/** How the widget looks and greets, as the administrator set it (`GET /api/v1/widget/settings`) and the tag overrides it. */
export interface Appearance {
  teamName: string | null;
  avatarUrl: string | null;
  title: string | null;
  accentColor: string | null;
  onAccentColor: string | null;
  launcherIconUrl: string | null;
  position: 'left' | 'right';
  /** May contain `{name}`, the user's first name. */
  greeting: string | null;
  replyTime: string | null;
  /** Said while nobody of the team is online. */
  awayText: string | null;
  /** A visitor without a session may sign in by email (`signInMethods` has `email`). */
  emailSignIn?: boolean;
}

export interface PanelHost {
  baseUrl: string;
  session: Session;
  emitter: Emitter;
  locale: { code: string; dir: 'ltr' | 'rtl' };
  strings: LocaleStrings;
  appearance: Appearance;
  theme: 'light' | 'dark' | 'auto';
  /** Where the panel renders, inside the loader's shadow root. */
  root: HTMLElement;
  launcher: Launcher;
  initiallyOpen: boolean;
  documentId: string | null;
  /** The URL of the open conversation's view (the panel asks for it again under another URL after a failure). */
  threadUrl: string;
}

export interface PanelControls {
  open(): void;
  close(): void;
  toggle(): void;
  setDocument(documentId: string | null): void;
}

/** The panel module's one export. */
export interface PanelModule {
  mount(host: PanelHost, bind: (controls: PanelControls) => void): void;
}

/** A locale module's one export (widget/src/i18n/en.ts, fr.ts, ar.ts). */
export interface LocaleModule {
  default: LocaleStrings;
}

/** Where the build put the panel's files: absolute paths on Parley's origin, content-hashed. */
export interface PanelFiles {
  js: string;
  /** The chunk panel.js imports (Preact, the chat's common code; shared with the open conversation's view). */
  shared: string;
  /** The open conversation's view, which the panel imports itself (named here so a retry can ask anew). */
  thread: string;
  css: string;
  /** One module per locale code. */
  locales: Record<string, string>;
}

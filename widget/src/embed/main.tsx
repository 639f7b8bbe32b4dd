/**
 * widget.js: the one script tag an integrator adds. It reads its own tag, adds one element whose Shadow DOM
 * holds the launcher and panel (styled by widget.css from Parley's origin, never inline), signs in by
 * exchanging the code, and replaces the snippet's `window.Parley` queue with the real API. Nothing else is
 * added to the host page: no cookies, no other globals, no handlers on the host's elements.
 */
import { render } from 'preact';
import { pickLocale } from '../i18n/locales.js';
import { readConfig } from './config.js';
import { createEmitter, createParleyApi, identityMismatch, type IdentifyUser } from './js-api.js';
import { createSession } from './session.js';
import { Widget, type WidgetControls } from './Widget.js';

type Stub = { q?: [string, ArrayLike<unknown>][]; __parley?: true };

function start(script: HTMLScriptElement) {
  const host = window as unknown as { Parley?: Stub };
  if (host.Parley?.__parley) return; // loaded twice: the first copy stays in charge
  const config = readConfig(script);
  const locale = pickLocale(config.locale, typeof navigator === 'undefined' ? [] : navigator.languages ?? []);
  const emitter = createEmitter();
  const session = createSession({ baseUrl: config.baseUrl, onError: (e) => emitter.emit('error', e) });
  // Commands before the widget has bound its controls are kept: the last of open/close/toggle, and the document.
  let controls: WidgetControls | null = null;
  let pending: 'open' | 'close' | 'toggle' | null = null;
  let documentId = config.documentId;

  const element = document.createElement('div');
  element.setAttribute('data-parley-widget', '');
  const shadow = element.attachShadow({ mode: 'open' });
  const stylesheet = document.createElement('link');
  stylesheet.rel = 'stylesheet';
  stylesheet.href = `${config.baseUrl}/widget.css`;
  shadow.appendChild(stylesheet);
  const mount = document.createElement('div');
  shadow.appendChild(mount);

  let mounted = false;
  const queued = host.Parley?.q ?? [];
  const api = createParleyApi(
    {
      identify(user: IdentifyUser, authToken) {
        if (!authToken) {
          emitter.emit('error', { code: 'token_missing', message: 'Parley.identify needs {authToken}.' });
          return;
        }
        const mismatch = identityMismatch(user, authToken);
        if (mismatch) {
          emitter.emit('error', { code: mismatch, message: 'The token does not belong to this user.' });
          return;
        }
        void session.signIn(authToken);
      },
      open: () => (controls ? controls.open() : (pending = 'open')),
      close: () => (controls ? controls.close() : (pending = 'close')),
      toggle: () => (controls ? controls.toggle() : (pending = 'toggle')),
      setDocument(id) {
        documentId = id;
        controls?.setDocument(id);
      },
      logout: () => void session.logout(),
      setAuthProvider(provider) {
        session.setAuthProvider(provider);
        // Nothing to sign in with yet: ask the provider for the first code.
        if (provider && !config.externalAuthCode && session.state.status === 'idle') void session.startFromProvider();
      },
    },
    emitter,
    queued,
  );
  Object.defineProperty(api, '__parley', { value: true });
  host.Parley = api as unknown as Stub;

  const mountWidget = () => {
    if (mounted) return;
    mounted = true;
    render(
      <Widget
        baseUrl={config.baseUrl}
        session={session}
        emitter={emitter}
        strings={locale.strings}
        dir={locale.dir}
        lang={locale.code}
        position={config.position}
        theme={config.theme}
        initiallyOpen={config.open}
        documentId={documentId}
        bindControls={(c) => {
          controls = c;
          c.setDocument(documentId);
          if (pending) c[pending]();
        }}
      />,
      mount,
    );
    emitter.emit('ready');
  };
  // Draw once the stylesheet is in, so the launcher never flashes unstyled.
  stylesheet.addEventListener('load', mountWidget, { once: true });
  stylesheet.addEventListener('error', mountWidget, { once: true });
  (document.body ?? document.documentElement).appendChild(element);

  if (config.externalAuthCode) void session.signIn(config.externalAuthCode);
}

const current = document.currentScript;
if (current instanceof HTMLScriptElement && current.src) {
  const script = current;
  if (document.body) start(script);
  else document.addEventListener('DOMContentLoaded', () => start(script), { once: true });
}

// @vitest-environment happy-dom
// @vitest-environment-options {"settings":{"handleDisabledFileLoadingAsSuccess":true}}
/** @jsxImportSource react */
/**
 * parley/react (react/src) with React itself under happy-dom: the one script tag, the queue that widget.js
 * replays (the widget is faked by the real js-api.ts, as widget.js builds it over `Parley.q`), StrictMode,
 * two providers, the event hook and what unmounting ends.
 */
import { act, cleanup, render } from '@testing-library/react';
import { StrictMode, useEffect, useState, type ReactNode } from 'react';
import { afterEach, describe, expect, expectTypeOf, it, vi } from 'vitest';
import { ParleyProvider, useParley, useParleyEvent, type ParleyApi, type ParleyAuthProvider, type ParleyError, type ParleyEventName, type ParleyMessage, type ParleyUser } from '../../react/src/index.js';
import { createEmitter, createParleyApi, type Commands, type Emitter, type ParleyEvent } from '../../widget/src/embed/js-api.js';

const SRC = 'https://chat.example.com/widget.js';
const ADA: ParleyUser = { userId: 'u-123', name: 'Ada' };

type Host = { Parley?: { q?: [string, ArrayLike<unknown>][]; __parley?: true } & Partial<ParleyApi> };
const host = () => window as unknown as Host;
const widgetScripts = () => Array.from(document.querySelectorAll<HTMLScriptElement>('script[src]')).filter((s) => s.src === SRC);

afterEach(() => {
  cleanup();
  for (const script of Array.from(document.querySelectorAll('script'))) script.remove();
  delete host().Parley;
  vi.restoreAllMocks();
});

interface LoadedWidget {
  /** What the widget was asked to do, in order. */
  log: string[];
  /** The auth providers `init` gave it. */
  providers: (ParleyAuthProvider | null)[];
  /** Subscriptions still open on its emitter. */
  listening(): number;
  emit(event: ParleyEvent, payload?: unknown): void;
}

/**
 * Loads a fake widget.js as the real one starts: builds the API of js-api.ts over the snippet's queue
 * (`Parley.q`), replaying it, and puts it in `window.Parley` marked as loaded. Its emitter counts open
 * subscriptions.
 */
function loadWidget(): LoadedWidget {
  const log: string[] = [];
  const providers: (ParleyAuthProvider | null)[] = [];
  const commands: Commands = {
    identify: (user, authToken) => void log.push(`identify ${user.userId} ${authToken ?? '-'}`),
    open: () => void log.push('open'),
    close: () => void log.push('close'),
    toggle: () => void log.push('toggle'),
    logout: () => void log.push('logout'),
    setDocument: (id) => void log.push(`document ${id ?? 'none'}`),
    setAuthProvider: (provider) => {
      providers.push(provider);
      log.push(`init ${provider ? 'provider' : 'none'}`);
    },
  };
  const inner = createEmitter();
  let open = 0;
  const emitter: Emitter = {
    emit: inner.emit,
    on(event, callback) {
      const off = inner.on(event, callback);
      open++;
      let done = false;
      return () => {
        if (done) return;
        done = true;
        open--;
        off();
      };
    },
  };
  act(() => {
    const api = createParleyApi(commands, emitter, host().Parley?.q ?? []);
    Object.defineProperty(api, '__parley', { value: true });
    host().Parley = api;
  });
  return { log, providers, listening: () => open, emit: (event, payload) => act(() => emitter.emit(event, payload)) };
}

/** Signs in as the README's React example does, and shows the latest error. */
function SignIn({ user = ADA, authToken = 'token-1' }: { user?: ParleyUser; authToken?: string }) {
  const client = useParley();
  useEffect(() => {
    client.identify(user, { authToken });
  }, [client, user, authToken]);
  const error = useParleyEvent('error');
  return <p data-testid="error">{error ? error.code : 'no error'}</p>;
}

/** Shows how many times it rendered and the latest payload of `event`. */
function Latest<E extends ParleyEventName>({ event, renders }: { event: E; renders: unknown[] }) {
  const payload = useParleyEvent(event);
  renders.push(payload);
  return <p data-testid={`latest-${event}`}>{JSON.stringify(payload) ?? 'undefined'}</p>;
}

const provider = (children: ReactNode, props: Partial<Parameters<typeof ParleyProvider>[0]> = {}) => (
  <ParleyProvider src={SRC} {...props}>
    {children}
  </ParleyProvider>
);

describe('ParleyProvider', () => {
  it('adds one script tag for widget.js with the data-* attributes of its props', () => {
    render(provider(<p>app</p>, { locale: 'fr', position: 'left', theme: 'dark', documentId: 'doc-1', open: true, accentColor: '#aa3300', externalAuthCode: 'eyJ.code' }));
    const scripts = widgetScripts();
    expect(scripts).toHaveLength(1);
    const attributes = Object.fromEntries(Array.from(scripts[0]!.attributes, (a) => [a.name, a.value]));
    expect(attributes).toEqual({
      src: SRC,
      'data-external-auth-code': 'eyJ.code',
      'data-document-id': 'doc-1',
      'data-position': 'left',
      'data-open': 'true',
      'data-locale': 'fr',
      'data-theme': 'dark',
      'data-accent-color': '#aa3300',
    });
  });

  it('leaves out the attributes it was not given (data-open only when true)', () => {
    render(provider(<p>app</p>, { open: false }));
    const [script] = widgetScripts();
    expect(script!.getAttributeNames()).toEqual(['src']);
  });

  it('installs the README snippet queue before the script loads; the loaded widget replays identify, on and init in order', () => {
    const generateToken = vi.fn(() => 'fresh-code');
    render(provider(<SignIn />, { authProvider: { generateToken } }));
    // Before the load: the calls wait on window.Parley.q, as the snippet's stubs leave them.
    expect(host().Parley?.q?.map(([method]) => method)).toEqual(['identify', 'on', 'init']);

    const widget = loadWidget();
    expect(widget.log).toEqual(['identify u-123 token-1', 'init provider']);
    expect(widget.listening()).toBe(1);
    widget.emit('error', { code: 'token_expired', message: 'The session has expired.' });
    expect(document.querySelector('[data-testid=error]')?.textContent).toBe('token_expired');
    // The provider given to the widget calls the app's generateToken.
    expect(widget.providers[0]!.generateToken()).toBe('fresh-code');
    expect(generateToken).toHaveBeenCalledTimes(1);
  });

  it('under StrictMode adds the tag once and leaves one live subscription after its double effects', () => {
    render(<StrictMode>{provider(<SignIn />, { authProvider: { generateToken: () => 'code' } })}</StrictMode>);
    expect(widgetScripts()).toHaveLength(1);
    const widget = loadWidget();
    // StrictMode runs every effect twice (the app's identify, then the provider's); the provider registers
    // its auth provider once.
    expect(widget.log).toEqual(['identify u-123 token-1', 'init provider', 'identify u-123 token-1']);
    expect(widget.listening()).toBe(1);
    widget.emit('error', { code: 'seat_limit_reached', message: 'No seat left.' });
    expect(document.querySelector('[data-testid=error]')?.textContent).toBe('seat_limit_reached');
  });

  it('adds the tag once for two providers, and not at all next to a tag already on the page', () => {
    render(
      <>
        {provider(<SignIn />)}
        {provider(<p>another part of the app</p>, { theme: 'light' })}
      </>,
    );
    expect(widgetScripts()).toHaveLength(1);
    cleanup();
    for (const script of Array.from(document.querySelectorAll('script'))) script.remove();

    const written = document.createElement('script');
    written.src = SRC;
    written.setAttribute('data-external-auth-code', 'eyJ.by-hand');
    document.body.appendChild(written);
    render(provider(<p>app</p>, { locale: 'ar' }));
    expect(widgetScripts()).toEqual([written]);
  });

  it('adds no tag when the widget is already running, and calls it directly', () => {
    const widget = loadWidget();
    render(provider(<SignIn authToken="token-2" />));
    expect(widgetScripts()).toHaveLength(0);
    expect(widget.log).toEqual(['identify u-123 token-2']);
    expect(widget.listening()).toBe(1);
  });

  it('keeps a queue the page already installed (the README snippet) and adds its calls to it', () => {
    const q: [string, ArrayLike<unknown>][] = [];
    const pageOpen = (...args: unknown[]) => void q.push(['open', args]);
    host().Parley = { q, open: pageOpen };
    render(provider(<SignIn />));
    expect(host().Parley?.q).toBe(q);
    expect(host().Parley?.open).toBe(pageOpen);
    const widget = loadWidget();
    expect(widget.log).toEqual(['identify u-123 token-1']);
  });

  it('registers its auth provider once; a new { generateToken } at each render calls the latest one', () => {
    const first = vi.fn(() => 'code-1');
    const second = vi.fn(() => 'code-2');
    const widget = loadWidget();
    const { rerender } = render(provider(<p>app</p>, { authProvider: { generateToken: first } }));
    rerender(provider(<p>app</p>, { authProvider: { generateToken: second } }));
    expect(widget.log).toEqual(['init provider']);
    expect(widget.providers[0]!.generateToken()).toBe('code-2');
    expect(first).not.toHaveBeenCalled();
    // Taken away: the widget is told it has none.
    rerender(provider(<p>app</p>));
    expect(widget.log).toEqual(['init provider', 'init none']);
  });

  it('sends a later documentId to Parley.setDocument (the first went into data-document-id)', () => {
    const { rerender } = render(provider(<p>app</p>, { documentId: 'doc-1' }));
    const widget = loadWidget();
    rerender(provider(<p>app</p>, { documentId: 'doc-2' }));
    rerender(provider(<p>app</p>, { documentId: null }));
    expect(widget.log).toEqual(['document doc-2', 'document none']);
  });

  it('throws a TypeError without a src', () => {
    vi.spyOn(console, 'error').mockImplementation(() => undefined);
    expect(() => render(<ParleyProvider src="">x</ParleyProvider>)).toThrow(new TypeError('ParleyProvider: src must be the URL of widget.js'));
  });
});

describe('useParley', () => {
  it('answers the same client at every render, with the methods of window.Parley', () => {
    const seen: ParleyApi[] = [];
    function Probe({ n }: { n: number }) {
      seen.push(useParley());
      return <p>{n}</p>;
    }
    const { rerender } = render(provider(<Probe n={1} />));
    rerender(provider(<Probe n={2} />));
    expect(seen).toHaveLength(2);
    expect(seen[1]).toBe(seen[0]);
    expect(Object.keys(seen[0]!).sort()).toEqual(['close', 'identify', 'init', 'logout', 'on', 'open', 'setDocument', 'toggle']);

    const widget = loadWidget();
    act(() => {
      seen[0]!.open();
      seen[0]!.setDocument('doc-9');
      seen[0]!.logout();
    });
    expect(widget.log).toEqual(['open', 'document doc-9', 'logout']);
  });

  it("also has on(name).subscribe(cb), Velt's shape, before and after the widget has loaded", () => {
    // Typed by hand: the form is newer than the two-argument one.
    type VeltOn = (event: 'error') => { subscribe(callback: (error: ParleyError) => void): { unsubscribe(): void } };
    let client: ParleyApi | undefined;
    function Grab() {
      client = useParley();
      return null;
    }
    const { unmount } = render(provider(<Grab />));
    const seen: string[] = [];
    const early = (client!.on as unknown as VeltOn)('error').subscribe((error) => seen.push(`early ${error.code}`));
    const widget = loadWidget();
    const late = (client!.on as unknown as VeltOn)('error').subscribe((error) => seen.push(`late ${error.code}`));
    expect(widget.listening()).toBe(2);
    widget.emit('error', { code: 'token_expired', message: 'Expired.' });
    early.unsubscribe();
    expect(widget.listening()).toBe(1);
    widget.emit('error', { code: 'token_invalid', message: 'Bad.' });
    expect(seen).toEqual(['early token_expired', 'late token_expired', 'late token_invalid']);
    unmount();
    expect(widget.listening()).toBe(0);
    late.unsubscribe();
  });

  it('throws a clear TypeError outside a provider (and so does useParleyEvent)', () => {
    vi.spyOn(console, 'error').mockImplementation(() => undefined);
    function Lost() {
      useParley();
      return null;
    }
    function LostEvent() {
      useParleyEvent('ready');
      return null;
    }
    const expected = new TypeError('useParley() must be called inside a <ParleyProvider>');
    expect(() => render(<Lost />)).toThrow(expected);
    expect(() => render(<LostEvent />)).toThrow(expected);
  });
});

describe('useParleyEvent', () => {
  it("is typed by the event's payload", () => {
    expectTypeOf(useParleyEvent<'error'>).returns.toEqualTypeOf<ParleyError | undefined>();
    expectTypeOf(useParleyEvent<'message'>).returns.toEqualTypeOf<ParleyMessage | undefined>();
    expectTypeOf(useParleyEvent<'unread'>).returns.toEqualTypeOf<{ count: number } | undefined>();
    expectTypeOf(useParleyEvent<'ready'>).returns.toEqualTypeOf<undefined>();
  });

  it('is undefined until an event, then the latest payload, re-rendering at each one (the same payload too)', () => {
    const renders: unknown[] = [];
    render(provider(<Latest event="unread" renders={renders} />));
    const widget = loadWidget();
    const shown = () => document.querySelector('[data-testid=latest-unread]')?.textContent;
    expect(shown()).toBe('undefined');
    const before = renders.length;
    widget.emit('unread', { count: 2 });
    expect(shown()).toBe('{"count":2}');
    const same = { count: 2 };
    widget.emit('unread', same);
    widget.emit('unread', same);
    expect(renders.length - before).toBe(3);
    expect(renders.at(-1)).toBe(same);
  });

  it('re-renders at each event without a payload (ready, open, close)', () => {
    const renders: unknown[] = [];
    render(provider(<Latest event="open" renders={renders} />));
    const widget = loadWidget();
    const before = renders.length;
    widget.emit('open');
    widget.emit('open');
    widget.emit('close');
    expect(renders.length - before).toBe(2);
    expect(renders.at(-1)).toBeUndefined();
  });

  it('starts again from undefined when its event changes, and follows the new one only', () => {
    function Switch() {
      const [event, setEvent] = useState<'open' | 'error'>('error');
      const payload = useParleyEvent(event);
      return (
        <>
          <button onClick={() => setEvent('open')}>switch</button>
          <p data-testid="payload">{JSON.stringify(payload) ?? 'undefined'}</p>
        </>
      );
    }
    render(provider(<Switch />));
    const widget = loadWidget();
    widget.emit('error', { code: 'token_invalid', message: 'Bad token.' });
    const shown = () => document.querySelector('[data-testid=payload]')?.textContent;
    expect(shown()).toBe('{"code":"token_invalid","message":"Bad token."}');
    act(() => document.querySelector('button')!.click());
    expect(shown()).toBe('undefined');
    expect(widget.listening()).toBe(1);
    widget.emit('error', { code: 'token_expired', message: 'Expired.' });
    expect(shown()).toBe('undefined');
  });

  it('unsubscribes on unmount, before the widget has loaded (a queued off) and after', () => {
    const renders: unknown[] = [];
    const early = render(provider(<Latest event="message" renders={renders} />));
    early.unmount();
    expect(host().Parley?.q?.map(([method]) => method)).toEqual(['on', '_off']);
    const widget = loadWidget();
    expect(widget.listening()).toBe(0);

    const late = render(provider(<Latest event="message" renders={renders} />));
    expect(widget.listening()).toBe(1);
    late.unmount();
    expect(widget.listening()).toBe(0);
  });
});

describe('unmounting the provider', () => {
  it('keeps the widget and its tag but ends every subscription made through its client, even one never ended', () => {
    const calls: string[] = [];
    function Careless() {
      const client = useParley();
      useEffect(() => {
        client.on('message', (message) => calls.push(message.text));
      }, [client]);
      return null;
    }
    const { unmount } = render(provider(<Careless />));
    const widget = loadWidget();
    expect(widget.listening()).toBe(1);
    unmount();
    expect(widget.listening()).toBe(0);
    expect(widgetScripts()).toHaveLength(1);
    expect(host().Parley?.__parley).toBe(true);
    widget.emit('message', { text: 'after unmount' });
    expect(calls).toEqual([]);
  });
});

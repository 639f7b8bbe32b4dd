/**
 * Detects any outbound network request a test did not make itself: a local HTTP listener that records every
 * hit (point jku/x5u/avatar URLs at it), a `globalThis.fetch` that records and refuses, and a record of every
 * TCP connection opened through `net.Socket` (which `http`, `https`, `undici` and `pg` all use).
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';

export interface OutboundTrap {
  /** `http://127.0.0.1:<port>` of the listener. */
  origin: string;
  /** Requests the listener received, as `METHOD url`. */
  hits: string[];
  /** URLs passed to globalThis.fetch. */
  fetchCalls: string[];
  /** Every TCP connection attempted, as `host:port` (ports in `allowPorts` excepted). */
  connects: string[];
  /** Ports a test connects to on purpose (say, the app it listens with). */
  allowPorts: Set<number>;
  /** Body the listener serves (a JWK Set, so that a fetch of it would *succeed*). */
  serve: { body: string };
  /** Everything recorded, empty when nothing left the process. */
  summary(): { hits: string[]; fetchCalls: string[]; connects: string[] };
  close(): Promise<void>;
}

export async function startOutboundTrap(): Promise<OutboundTrap> {
  const hits: string[] = [];
  const fetchCalls: string[] = [];
  const connects: string[] = [];
  const allowPorts = new Set<number>();
  const serve = { body: '{"keys":[]}' };

  const server: Server = createServer((req: IncomingMessage, res) => {
    hits.push(`${req.method} ${req.url}`);
    res.writeHead(200, { 'content-type': 'application/json' }).end(serve.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  const realFetch = globalThis.fetch;
  globalThis.fetch = (async (input: string | URL | Request) => {
    fetchCalls.push(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
    throw new Error('outbound fetch during a security test');
  }) as typeof fetch;

  // The listener's own accepted sockets do not pass through connect(); only outgoing ones do.
  const proto = net.Socket.prototype as unknown as { connect: (...args: unknown[]) => unknown };
  const realConnect = proto.connect;
  proto.connect = function (this: unknown, ...args: unknown[]) {
    const first = args[0];
    const options = (Array.isArray(first) ? first[0] : first) as { port?: number; host?: string; path?: string } | number | string;
    let target: string;
    let targetPort: number | undefined;
    if (typeof options === 'number') {
      targetPort = options;
      target = `${typeof args[1] === 'string' ? args[1] : 'localhost'}:${options}`;
    } else if (typeof options === 'string') target = `pipe:${options}`;
    else {
      targetPort = options?.port === undefined ? undefined : Number(options.port);
      target = options?.path ? `pipe:${options.path}` : `${options?.host ?? 'localhost'}:${options?.port}`;
    }
    if (targetPort === undefined || !allowPorts.has(targetPort)) connects.push(target);
    return realConnect.apply(this, args);
  };

  return {
    origin: `http://127.0.0.1:${port}`,
    hits,
    fetchCalls,
    connects,
    allowPorts,
    serve,
    summary: () => ({ hits: [...hits], fetchCalls: [...fetchCalls], connects: [...connects] }),
    async close() {
      globalThis.fetch = realFetch;
      proto.connect = realConnect;
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * The guarded outbound HTTP module: the one private-address rule, checked on every resolved address before
 * connecting; redirects answered, never followed; the deadline and the read cap.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { isPrivateAddress, outboundRequest, OutboundError, resolveOutboundHost, type OutboundPolicy } from '../../../server/src/outbound/http.js';

const policy = (over: Partial<OutboundPolicy> = {}): OutboundPolicy => ({ schemes: ['http:', 'https:'], allowPrivate: true, timeoutMs: 300, maxBodyBytes: 64, overflow: 'truncate', ...over });
const reasonOf = (p: Promise<unknown>) => p.then(() => 'ok', (e: unknown) => (e instanceof OutboundError ? e.reason : String(e)));

describe('outbound HTTP', () => {
  const servers: Server[] = [];
  afterEach(async () => {
    for (const s of servers.splice(0)) {
      s.closeAllConnections();
      await new Promise<void>((r) => s.close(() => r()));
    }
  });
  async function serve(handler: Parameters<typeof createServer>[1]) {
    const s = createServer(handler!);
    servers.push(s);
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    return `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
  }

  it('knows private, loopback, link-local, unique-local, multicast and unspecified addresses', () => {
    for (const ip of ['127.0.0.1', '10.1.2.3', '172.16.0.1', '172.31.255.255', '192.168.1.1', '169.254.169.254', '0.0.0.0', '100.64.0.1', '198.18.0.1', '224.0.0.1', '255.255.255.255', '::1', '::', 'fe80::1', 'fc00::1', 'fd00::1', 'ff02::1', '::ffff:127.0.0.1', '::ffff:10.0.0.1', 'not-an-ip']) {
      expect(isPrivateAddress(ip), ip).toBe(true);
    }
    for (const ip of ['93.184.216.34', '8.8.8.8', '172.32.0.1', '100.128.0.1', '2606:4700::1111', '::ffff:8.8.8.8']) expect(isPrivateAddress(ip), ip).toBe(false);
  });

  // The URL parser rewrites `[::ffff:127.0.0.1]` as `::ffff:7f00:1`: the rule must read bytes, not text.
  const EMBEDDED_PRIVATE = [
    '::ffff:127.0.0.1', '::ffff:7f00:1', '::ffff:10.0.0.1', '::ffff:a00:1', '::ffff:169.254.169.254', '::ffff:a9fe:a9fe', '::FFFF:7F00:1',
    '::127.0.0.1', '::7f00:1', '::a9fe:a9fe', '0:0:0:0:0:ffff:7f00:1', '::ffff:0:7f00:1',
    '64:ff9b::a9fe:a9fe', '64:ff9b::169.254.169.254', '64:ff9b::7f00:1', '64:ff9b:1::1',
    '2002:7f00:1::', '2002:a9fe:a9fe::1', '2002:c0a8:101::', 'fec0::1', 'fe80::1%eth0', '::1%lo', 'febf::1', 'fe81::',
  ];

  it('judges an IPv6 address that embeds an IPv4 one (mapped, compatible, translated, NAT64, 6to4) by that IPv4 address', () => {
    for (const ip of EMBEDDED_PRIVATE) expect(isPrivateAddress(ip), ip).toBe(true);
    for (const ip of ['::ffff:808:808', '::ffff:8.8.8.8', '64:ff9b::808:808', '2002:808:808::1', '2001:4860:4860::8888', '2606:4700::1111']) expect(isPrivateAddress(ip), ip).toBe(false);
    for (const ip of ['::ffff:1.2.3', '1::2::3', '1:2:3:4:5:6:7:8:9', '::ffff:256.0.0.1', '12345::', ':1', '1:2:3:4:5:6:7::8:9', '1:2:3:4:5:6:7:8::']) expect(isPrivateAddress(ip), ip).toBe(true);
  });

  it('refuses an embedded private IPv4 address as a URL literal and as a resolver answer', async () => {
    for (const literal of ['::ffff:127.0.0.1', '::ffff:10.0.0.1', '::ffff:169.254.169.254', '::127.0.0.1', '64:ff9b::a9fe:a9fe', '64:ff9b::169.254.169.254', '2002:7f00:1::']) {
      const url = new URL(`http://[${literal}]:8080/hook`);
      expect(await reasonOf(resolveOutboundHost(url, false)), literal).toBe('private_address');
    }
    for (const address of EMBEDDED_PRIVATE) {
      const answer = async () => [{ address, family: 6 }];
      expect(await reasonOf(resolveOutboundHost(new URL('https://hooks.example.com/x'), false, answer)), address).toBe('private_address');
    }
    const mappedPublic = async () => [{ address: '::ffff:8.8.8.8', family: 6 }];
    expect(await resolveOutboundHost(new URL('https://hooks.example.com/x'), false, mappedPublic)).toEqual({ address: '::ffff:8.8.8.8', family: 6 });
    expect(await resolveOutboundHost(new URL('http://[::ffff:8.8.8.8]/x'), false)).toEqual({ address: '::ffff:808:808', family: 6 });
  });

  it('never connects to a loopback server through its IPv4-mapped IPv6 literal', async () => {
    let hits = 0;
    const base = await serve((_q, s) => {
      hits++;
      s.end('hi');
    });
    const port = new URL(base).port;
    expect(await reasonOf(outboundRequest({ url: `http://[::ffff:127.0.0.1]:${port}/x`, method: 'GET', headers: {} }, policy({ allowPrivate: false })))).toBe('private_address');
    expect(await reasonOf(outboundRequest({ url: `http://[::ffff:7f00:1]:${port}/x`, method: 'GET', headers: {} }, policy({ allowPrivate: false })))).toBe('private_address');
    expect(hits).toBe(0);
  });

  it('refuses a private host, literal or resolved (any of its addresses), before connecting', async () => {
    let hits = 0;
    const base = await serve((_q, s) => {
      hits++;
      s.end('hi');
    });
    const port = new URL(base).port;
    expect(await reasonOf(outboundRequest({ url: `${base}/x`, method: 'GET', headers: {} }, policy({ allowPrivate: false })))).toBe('private_address');
    const resolveMixed = async () => [{ address: '93.184.216.34', family: 4 }, { address: '127.0.0.1', family: 4 }];
    expect(await reasonOf(outboundRequest({ url: `http://hooks.example.com:${port}/x`, method: 'GET', headers: {} }, policy({ allowPrivate: false, resolve: resolveMixed })))).toBe('private_address');
    expect(await reasonOf(outboundRequest({ url: `ftp://93.184.216.34/x`, method: 'GET', headers: {} }, policy()))).toBe('scheme');
    expect(await reasonOf(outboundRequest({ url: `http://u:p@93.184.216.34/x`, method: 'GET', headers: {} }, policy()))).toBe('credentials');
    expect(hits).toBe(0);
    // Allowed, it connects to the address resolved once (a name answered by the resolver given, not the system's).
    const pinned = await outboundRequest({ url: `http://hooks.example.com:${port}/x`, method: 'GET', headers: {} }, policy({ resolve: async () => [{ address: '127.0.0.1', family: 4 }] }));
    expect([pinned.statusCode, pinned.body.toString()]).toEqual([200, 'hi']);
    expect(hits).toBe(1);
  });

  it('answers a redirect as it is, never following it', async () => {
    let caught = 0;
    const target = await serve((_q, s) => {
      caught++;
      s.end('caught');
    });
    const base = await serve((_q, s) => s.writeHead(307, { location: `${target}/caught` }).end());
    const res = await outboundRequest({ url: `${base}/hook`, method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' }, policy());
    expect([res.statusCode, res.headers.location]).toEqual([307, `${target}/caught`]);
    expect(caught).toBe(0);
  });

  it('gives up at the deadline, and reads at most the cap (or fails past it)', async () => {
    const slow = await serve(() => undefined); // never answers
    expect(await reasonOf(outboundRequest({ url: slow, method: 'GET', headers: {} }, policy({ timeoutMs: 100 })))).toBe('timeout');
    const big = await serve((_q, s) => s.end('x'.repeat(100_000)));
    const res = await outboundRequest({ url: big, method: 'GET', headers: {} }, policy());
    expect([res.body.length, res.truncated]).toEqual([64, true]);
    expect(await reasonOf(outboundRequest({ url: big, method: 'GET', headers: {} }, policy({ overflow: 'fail' })))).toBe('too_large');
    expect(await reasonOf(outboundRequest({ url: 'http://127.0.0.1:9/', method: 'GET', headers: {} }, policy()))).toBe('network');
  });
});

// The fan-out baseline: a bare node:http server that holds SSE streams and, on POST /tick?n=…, writes one
// fixed-size line to every stream. No framework, no database, no filtering.
import http from 'node:http';

const streams = new Set();
const server = http.createServer((req, res) => {
  if (req.url === '/events') {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store' });
    res.write('event: ready\ndata: {}\n\n');
    streams.add(res);
    req.on('close', () => streams.delete(res));
    return;
  }
  if (req.method === 'POST' && req.url?.startsWith('/tick')) {
    const n = new URL(req.url, 'http://x').searchParams.get('n') ?? '';
    const frame = `event: tick\ndata: ${n}\n\n`;
    for (const s of streams) s.write(frame);
    res.end('ok');
    return;
  }
  res.writeHead(404).end();
});
server.listen(0, '127.0.0.1', () => process.stdout.write(`http://127.0.0.1:${server.address().port}\n`));
process.on('SIGTERM', () => process.exit(0));

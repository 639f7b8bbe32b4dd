/**
 * `/demo`: a host page that embeds the widget the way a third-party site does, for a demo user signed with
 * the instance's key, so `npm start` shows the widget at once. It signs people in without asking, so it
 * exists only while the public URL is a loopback address (a local try-out), never on a deployed instance.
 */
import type { FastifyInstance } from 'fastify';
import { signExternalToken } from '../../auth/sign-external-token.js';
import { frameAncestors } from '../../security-headers.js';

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|localhost|\[::1\]|::1)$/;

function page(body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Parley demo host page</title>
<link rel="stylesheet" href="/assets/error.css">
</head>
<body>
<main class="error">
${body}
</main>
</body>
</html>
`;
}

export async function demoRoutes(app: FastifyInstance) {
  app.get('/demo', async (_request, reply) => {
    reply.header('cache-control', 'no-store').header('referrer-policy', 'no-referrer').type('text/html; charset=utf-8');
    const publicUrl = new URL(app.publicUrl.value);
    // Both the public URL and the listen address must be loopback: HOST=0.0.0.0 without PUBLIC_URL still
    // derives a 127.0.0.1 URL, yet the instance is reachable from the network.
    if (!LOOPBACK.test(publicUrl.hostname) || !LOOPBACK.test(app.config.host)) {
      return reply.code(404).send(page('<h1>No demo here</h1><p>The demo page exists only on a local instance (PUBLIC_URL on 127.0.0.1 or localhost).</p>'));
    }
    const key = await app.services.signingKeyForDemo();
    if (!key) {
      return reply.send(
        page('<h1>Parley demo</h1><p>No signing key yet. Run <code>npm run parley -- keys create</code> (or set <code>PARLEY_EXTERNAL_AUTH_SECRET</code>) and reload.</p>'),
      );
    }
    const token = await signExternalToken({
      secret: key.secret,
      kid: key.kid,
      payload: { user: { id: 'demo-user', name: 'Demo User' } },
      issuedAt: Math.floor(app.now() / 1000),
      expiresInSeconds: 3600,
    });
    // Like every page of Parley's, it may be framed only by Parley and the allowed origins (clickjacking).
    const { allowedOrigins } = await app.services.settings.get();
    reply.header(
      'content-security-policy',
      `default-src 'none'; script-src ${publicUrl.origin}; style-src ${publicUrl.origin}; connect-src ${publicUrl.origin}; img-src ${publicUrl.origin} https: data:; base-uri 'none'; form-action 'none'; ${frameAncestors(allowedOrigins)}`,
    );
    return reply.send(
      page(`<h1>A host page</h1>
<p>This page embeds Parley as any site would, with one tag, for a demo user signed with key <code>${key.kid}</code>.
Open the chat with the button in the corner.</p>
<script defer data-external-auth-code="${token}" src="${publicUrl.origin}/widget.js"></script>`),
    );
  });
}

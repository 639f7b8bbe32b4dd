/** The text `parley help` prints, and a usage error after its message. */
import { CONFIG_FLAGS } from '../config.js';

export const USAGE = `Usage: parley <command> [options]

Commands:
  serve [--port N --host H ...]        start the server (every setting has a flag; see below)
  token --user-id ID [--email E] [--name N] [--expires-in 1h] [--kid KID]
                                       sign an externalAuthCode and print it with the hosted-page link
                                       and the widget tag
  keys create                          create an HS256 signing key (its secret is printed once)
  keys add --kid KID --alg ES256|EdDSA|RS256 --public-key FILE
                                       register an integrator's public key (PEM or JWK file)
  keys add-jwks --url https://…        register a JWK Set URL (its keys keep their own kids)
  keys list                            list signing keys
  keys retire KID                      retire a key: tokens signed with it stop working at once
  admin create-owner --email E         print a one-time link that makes its visitor an owner with email E
  admin sign-in-link --email E         print a one-time sign-in link (15 minutes) for an owner or admin
  users list [--q Q] [--limit N] [--cursor C]
                                       list accounts, newest first; Q matches name, email or external id
  users deactivate ID                  deactivate an account: frees its seat and ends its sessions
  users reactivate ID                  reactivate an account (needs a free seat)
  seats set N                          set the seat limit (unless PARLEY_SEAT_LIMIT fixes it)
  api-credentials create --name NAME   create a token API credential; prints {"apiKey","authToken"} (shown once)
  api-credentials list                 list token API credentials
  api-credentials revoke API_KEY       revoke a credential: it fails at once

Every command but serve takes --json: it then prints one JSON document on stdout instead of text, and a
failure prints {"error":{"code","message"}} on stdout (and the message on stderr) and exits with 1.

Settings (environment variable, or flag on serve):
${CONFIG_FLAGS.map(({ flag, variable }) => `  ${flag.padEnd(26)} ${variable}`).join('\n')}
`;

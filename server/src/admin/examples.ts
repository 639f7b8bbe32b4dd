/**
 * Signing examples for the admin panel (docs/admin-api.md, External auth keys): complete programs in Node,
 * Python, PHP and Go that sign an externalAuthCode for one key, with its real kid, a lifetime inside the
 * maximum, and the `user` payload form (docs/external-auth.md, The token), and print the hosted-page link.
 * The secret comes from the PARLEY_SECRET environment variable, never from the page. The Node one uses only
 * node:crypto, and a test runs it.
 */

export interface ExampleInput {
  kid: string;
  publicUrl: string;
  /** Seconds; the examples sign for at most an hour, and never beyond the maximum lifetime. */
  maxLifetimeSeconds: number;
}

const json = (value: unknown) => JSON.stringify(value);

export function signingExamples({ kid, publicUrl, maxLifetimeSeconds }: ExampleInput): Record<'node' | 'python' | 'php' | 'go', string> {
  const lifetime = Math.min(3600, maxLifetimeSeconds);
  return {
    node: `// node sign.mjs — Node 18+, no dependencies. PARLEY_SECRET holds the secret of key ${kid}.
import { createHmac } from 'node:crypto';

const secret = process.env.PARLEY_SECRET;
const b64url = (data) => Buffer.from(data).toString('base64url');
const now = Math.floor(Date.now() / 1000);
const header = { alg: 'HS256', typ: 'JWT', kid: ${json(kid)} };
// The signed-in user of your product: user.id is required and unique; email, name, avatarUrl and any
// other keys update the Parley account (an unknown user.id creates it, if a seat is free).
const payload = { user: { id: 'user-123', email: 'ada@example.com', name: 'Ada Lovelace' }, iat: now, exp: now + ${lifetime} };
const input = \`\${b64url(JSON.stringify(header))}.\${b64url(JSON.stringify(payload))}\`;
const token = \`\${input}.\${createHmac('sha256', secret).update(input).digest('base64url')}\`;
console.log(\`${publicUrl}/?externalAuthCode=\${token}\`);
`,
    python: `# pip install pyjwt — PARLEY_SECRET holds the secret of key ${kid}.
import os, time, jwt

now = int(time.time())
payload = {"user": {"id": "user-123", "email": "ada@example.com", "name": "Ada Lovelace"}, "iat": now, "exp": now + ${lifetime}}
token = jwt.encode(payload, os.environ["PARLEY_SECRET"], algorithm="HS256", headers={"kid": ${json(kid)}})
print("${publicUrl}/?externalAuthCode=" + token)
`,
    php: `<?php
// composer require firebase/php-jwt — PARLEY_SECRET holds the secret of key ${kid}.
require 'vendor/autoload.php';
use Firebase\\JWT\\JWT;

$now = time();
$payload = ['user' => ['id' => 'user-123', 'email' => 'ada@example.com', 'name' => 'Ada Lovelace'], 'iat' => $now, 'exp' => $now + ${lifetime}];
$token = JWT::encode($payload, getenv('PARLEY_SECRET'), 'HS256', ${json(kid)});
echo "${publicUrl}/?externalAuthCode=" . $token . PHP_EOL;
`,
    go: `// go get github.com/golang-jwt/jwt/v5 — PARLEY_SECRET holds the secret of key ${kid}.
package main

import (
	"fmt"
	"os"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

func main() {
	now := time.Now()
	claims := jwt.MapClaims{
		"user": map[string]any{"id": "user-123", "email": "ada@example.com", "name": "Ada Lovelace"},
		"iat":  now.Unix(),
		"exp":  now.Add(${lifetime} * time.Second).Unix(),
	}
	token := jwt.NewWithClaims(jwt.SigningMethodHS256, claims)
	token.Header["kid"] = ${json(kid)}
	signed, err := token.SignedString([]byte(os.Getenv("PARLEY_SECRET")))
	if err != nil {
		panic(err)
	}
	fmt.Println("${publicUrl}/?externalAuthCode=" + signed)
}
`,
  };
}

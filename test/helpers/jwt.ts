/** Hand-made JWS for tests that need headers and payloads no well-behaved library would produce. */
import { createHmac } from 'node:crypto';

export const b64u = (value: string | Uint8Array) => Buffer.from(value).toString('base64url');

/** header.payload.signature with an HS256 signature over whatever JSON (or raw text) it is given. */
export function craftToken(header: unknown, payload: unknown, secret: string | Uint8Array, options: { rawPayload?: string | Uint8Array } = {}): string {
  const h = b64u(JSON.stringify(header));
  const p = b64u(options.rawPayload ?? JSON.stringify(payload));
  const signature = createHmac('sha256', secret).update(`${h}.${p}`).digest('base64url');
  return `${h}.${p}.${signature}`;
}

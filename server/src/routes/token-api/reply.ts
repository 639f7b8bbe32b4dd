/**
 * The token API's own envelope (docs/token-api.md), in the shapes Velt's API answers: success is
 * `{"result":{"status":"success","message","data"}}`; failure is `{"error":{"message","status"}}` with
 * INVALID_ARGUMENT (400), UNAUTHENTICATED (401) or PERMISSION_DENIED (403). Never cached.
 */
import type { FastifyReply } from 'fastify';
import type { Field } from '#shared/fields.js';

export type TokenApiStatus = 'INVALID_ARGUMENT' | 'UNAUTHENTICATED' | 'PERMISSION_DENIED';
const HTTP = new Map<TokenApiStatus, number>([['INVALID_ARGUMENT', 400], ['UNAUTHENTICATED', 401], ['PERMISSION_DENIED', 403]]);

export class TokenApiError extends Error {
  constructor(
    readonly status: TokenApiStatus,
    message: string,
  ) {
    super(message);
  }
}

export const invalid = (message: string) => new TokenApiError('INVALID_ARGUMENT', message);

/** The value a field rule accepted, or INVALID_ARGUMENT naming the field (`userId must be in Unicode NFC.`). */
export function field<T>(path: string, parsed: Field<T>): T {
  if (!parsed.ok) throw invalid(`${path} ${parsed.reason}.`);
  return parsed.value;
}

export function sendResult(reply: FastifyReply, message: string, data: unknown) {
  return reply.code(200).header('cache-control', 'no-store').send({ result: { status: 'success', message, data } });
}

export function sendTokenApiError(reply: FastifyReply, error: TokenApiError) {
  return reply.code(HTTP.get(error.status) ?? 400).header('cache-control', 'no-store').send({ error: { message: error.message, status: error.status } });
}

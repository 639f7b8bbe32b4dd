/**
 * The hosted page's session cookie (docs/external-auth.md, Sessions): HttpOnly, SameSite=Lax, Secure under
 * https.
 */
import type { FastifyReply } from 'fastify';
import { SESSION_COOKIE } from '../../auth/session-auth.js';

export function setSessionCookie(reply: FastifyReply, token: string, expiresAt: number, publicUrl: string): void {
  reply.setCookie(SESSION_COOKIE, token, {
    httpOnly: true,
    sameSite: 'lax',
    secure: publicUrl.startsWith('https:'),
    path: '/',
    expires: new Date(expiresAt),
  });
}

export function clearSessionCookie(reply: FastifyReply, publicUrl: string): void {
  reply.clearCookie(SESSION_COOKIE, { httpOnly: true, sameSite: 'lax', secure: publicUrl.startsWith('https:'), path: '/' });
}

/**
 * What the assistant's route tests share: a bearer session for a signed-in user (an owner if asked), and a
 * request made with it.
 */
import { expect } from 'vitest';
import type { TestApp } from '../../helpers/app.js';

export type Headers = Record<string, string>;

/** Signs `user` in through the exchange; with `role`, makes the account that. Answers its bearer headers. */
export async function sessionFor(t: TestApp, user: Record<string, unknown>, role?: 'owner'): Promise<Headers> {
  const res = await t.app.inject({ method: 'POST', url: '/api/v1/auth/exchange', payload: { externalAuthCode: await t.sign({ user }) } });
  expect(res.statusCode).toBe(200);
  if (role) await t.app.services.users.setRole(res.json().user.id, role);
  return { authorization: `Bearer ${res.json().session.token}` };
}

/** One request of the API as `headers`. */
export const call = (t: TestApp, headers: Headers, method: 'GET' | 'POST', url: string, payload?: object) => t.app.inject({ method, url, headers, ...(payload ? { payload } : {}) });

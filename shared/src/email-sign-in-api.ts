/**
 * The bodies of `POST /api/v1/auth/email/start` and `/verify` (docs/admin-api.md, Email sign-in) as TypeBox
 * schemas: the shape only; what an email, a code or a path may be is each field's rule
 * (fields.ts `parseEmail`, sign-in-fields.ts `parseEmailCode`), read by the route so a bad value is a 400
 * naming it. Verify answers what the exchange answers (api.ts ExchangeResponseSchema).
 */
import { Type } from '@sinclair/typebox';

export const EmailStartBodySchema = Type.Object(
  {
    email: Type.String({ maxLength: 1000, description: 'the address to send the link and code to (at most 320 characters)' }),
    returnTo: Type.Optional(Type.String({ maxLength: 2048, description: 'a path on this server where the link lands (default /)' })),
  },
  { additionalProperties: false },
);

export const EmailStartResponseSchema = Type.Object({}, { additionalProperties: false, description: 'the same whether an email was sent or not' });

export const EmailVerifyBodySchema = Type.Object(
  {
    email: Type.String({ maxLength: 1000 }),
    code: Type.String({ maxLength: 32, description: 'the 6 digits of the email' }),
  },
  { additionalProperties: false },
);

/** Reading one admin REST input by its rule in shared/src/fields.ts; the route's schema checked its shape. */
import { ParleyError } from '../../errors.js';
import type { Field } from '#shared/fields.js';

/** The value a field rule accepted, or `400 bad_request` naming the field (`email must be an email address`). */
export function readField<T>(name: string, parsed: Field<T>): T {
  if (!parsed.ok) throw new ParleyError('bad_request', `${name} ${parsed.reason}`);
  return parsed.value;
}

/** `readField` for an optional field: absent stays absent. */
export function readOptionalField<T>(name: string, value: unknown, parse: (value: unknown) => Field<T>): T | undefined {
  return value === undefined ? undefined : readField(name, parse(value));
}

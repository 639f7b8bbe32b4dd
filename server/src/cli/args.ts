/**
 * The `parley` command line's words: `--flags` and positional arguments, and the checks commands make of
 * them. A bad argument is a `UsageError`, which the CLI answers with its message and the usage text.
 */
import type { Field } from '#shared/fields.js';

/** The person at the shell typed something the CLI does not accept (reported with code `usage`). */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** A command's arguments: positional words (the command's own name removed) and `--flag` values. */
export interface Args {
  positional: string[];
  flags: Map<string, string>;
}

/** Flags that never take a value, so `users deactivate --json ID` keeps ID positional. */
const SWITCHES: ReadonlySet<string> = new Set(['--json', '--help']);

/** `--a 1 --b=2 --c` → Map (a flag without a value is `'true'`); positional words separately. */
export function parseArgs(argv: readonly string[]): Args {
  const positional: string[] = [];
  const flags = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (!arg.startsWith('--')) {
      positional.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    if (eq > 0) flags.set(arg.slice(0, eq), arg.slice(eq + 1));
    else if (!SWITCHES.has(arg) && i + 1 < argv.length && !(argv[i + 1] as string).startsWith('--')) flags.set(arg, argv[++i] as string);
    else flags.set(arg, 'true');
  }
  return { positional, flags };
}

/** A whole number from `min` to `max`, or a usage error naming `what`. */
export function wholeNumber(raw: string | undefined, what: string, min: number, max: number): number {
  const value = raw !== undefined && /^\d{1,10}$/.test(raw) ? Number(raw) : NaN;
  if (!(value >= min && value <= max)) throw new UsageError(`${what} must be a whole number from ${min} to ${max}`);
  return value;
}

/**
 * A flag's value read with the field rule every other door uses (shared/src/fields.ts), or a usage error
 * naming the flag and the rule it breaks.
 */
export function fieldFlag<T>(flag: string, raw: string, parse: (value: unknown) => Field<T>): T {
  const parsed = parse(raw);
  if (!parsed.ok) throw new UsageError(`${flag} ${parsed.reason}`);
  return parsed.value;
}

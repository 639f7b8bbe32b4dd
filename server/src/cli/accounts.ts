/**
 * `parley admin …`, `parley users …` and `parley seats set N`: who may run the instance and who may use it,
 * through the same services and rules as the admin panel, with the shell acting as an owner.
 */
import { derivePublicUrl } from '../config.js';
import { ParleyError } from '../errors.js';
import { presentAdminUser, type AdminUser } from '../admin/users.js';
import { fieldFlag, UsageError, wholeNumber } from './args.js';
import { parseEmail, parseSeatCountText } from '#shared/fields.js';
import { withServices, type Command } from './shell.js';
import { cliContext } from '../use-cases/actor.js';

export const adminCommand: Command = async (shell, { positional, flags }) => {
  const { config, output } = shell;
  const [action] = positional;
  const email = flags.get('--email');
  if (action !== 'create-owner' && action !== 'sign-in-link') throw new UsageError('admin needs create-owner or sign-in-link');
  if (!email || email === 'true') throw new UsageError(`admin ${action} needs --email`);
  fieldFlag('--email', email, parseEmail);
  const base = derivePublicUrl(config, config.port);
  // The audit entry names the email, never the link (it is a credential until used).
  const link = await withServices(shell, (services) =>
    action === 'create-owner' ? services.useCases.adminLinks.createOwnerLink(cliContext(), base, email) : services.useCases.adminLinks.signInLink(cliContext(), base, email),
  );
  output.emit({ link }, () => {
    output.line(action === 'create-owner' ? 'Open this one-time link to become an owner of this Parley instance:' : 'Open this one-time sign-in link within 15 minutes:');
    output.line(link);
  });
};

/** One line of `users list`: id, role, state, how it was created, who it is, when last seen. */
function userLine(u: AdminUser): string {
  const who = [u.name, u.email, u.externalId === null ? null : `external id ${u.externalId}`].filter((part) => part !== null).join(' · ') || '—';
  const seen = u.lastSeenAt === null ? 'never seen' : `last seen ${u.lastSeenAt}`;
  return `${u.id.padEnd(21)} ${u.role.padEnd(6)} ${(u.active ? 'active' : 'deactivated').padEnd(11)} ${u.createdVia.padEnd(14)} ${who}, ${seen}`;
}

const USERS_LIST_MAX = 1000;

export const usersCommand: Command = async (shell, { positional, flags }) => {
  const { output } = shell;
  const [action, id] = positional;
  if (action === 'list') {
    const q = flags.get('--q');
    const cursor = flags.get('--cursor');
    const limit = flags.has('--limit') ? wholeNumber(flags.get('--limit'), '--limit', 1, USERS_LIST_MAX) : 50;
    const page = await withServices(shell, (services) => services.userAdmin.list(q, cursor, limit));
    output.emit(page, () => {
      for (const u of page.users) output.line(userLine(u));
      const shown = page.users.length === 0 ? (q?.trim() ? `No account matches "${q}".` : 'No accounts.') : `${page.users.length} shown of ${page.total}.`;
      output.line(shown);
      if (page.nextCursor) {
        const again = ['parley users list', ...(q?.trim() ? [`--q ${JSON.stringify(q)}`] : []), ...(flags.has('--limit') ? [`--limit ${limit}`] : []), `--cursor ${page.nextCursor}`];
        output.line(`Next page: ${again.join(' ')}`);
      }
    });
  } else if (action === 'deactivate' || action === 'reactivate') {
    if (!id) throw new UsageError(`users ${action} needs an account ID (see \`parley users list\`)`);
    const user = await withServices(shell, (services) =>
      action === 'deactivate' ? services.useCases.users.deactivateUser(cliContext(), id) : services.useCases.users.reactivateUser(cliContext(), id),
    );
    const shown = presentAdminUser(user);
    output.emit({ user: shown }, () => {
      output.line(userLine(shown));
      output.line(action === 'deactivate' ? 'Deactivated: its seat is free and every session of the account has ended.' : 'Reactivated: the account takes a seat again.');
    });
  } else {
    throw new UsageError('users needs list, deactivate or reactivate');
  }
};

export const seatsCommand: Command = async (shell, { positional }) => {
  const { output } = shell;
  const [action, raw] = positional;
  if (action !== 'set') throw new UsageError('seats needs set N');
  if (raw === undefined) throw new UsageError('seats set N needs N, a whole number');
  const seatLimit = fieldFlag('seats set N', raw, parseSeatCountText);
  const { used } = await withServices(shell, async (services) => {
    try {
      await services.useCases.settings.changeSettings(cliContext(), { seatLimit });
    } catch (error) {
      if (error instanceof ParleyError && error.code === 'setting_locked') {
        throw new ParleyError(
          'setting_locked',
          'The seat limit is fixed by PARLEY_SEAT_LIMIT in the environment: change it there (and restart the server), or unset it to manage the limit with `parley seats set` and the admin panel.',
        );
      }
      throw error;
    }
    return { used: await services.users.countActive() };
  });
  output.emit({ seatLimit, used }, () => {
    output.line(`Seat limit set to ${seatLimit} (${used} in use).`);
    if (used > seatLimit) output.note('More accounts are active than the new limit allows: none is deactivated, but no account is created or reactivated until enough are deactivated.');
  });
};

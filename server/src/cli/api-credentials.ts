/** `parley api-credentials …`: the token API's credentials (create, list, revoke). */
import { fieldFlag, UsageError } from './args.js';
import { parseName } from '#shared/fields.js';
import { withServices, type Command } from './shell.js';
import { ParleyError } from '../errors.js';
import { cliContext } from '../use-cases/actor.js';

export const apiCredentialsCommand: Command = (shell, { positional, flags }) => {
  const { output } = shell;
  const [action, apiKey] = positional;
  return withServices(shell, async (services) => {
    if (action === 'create') {
      const name = flags.get('--name');
      if (!name || name === 'true' || name.length > 100) throw new UsageError('api-credentials create needs --name (at most 100 characters)');
      fieldFlag('--name', name, parseName);
      const { row, authToken } = await services.useCases.credentials.createApiCredential(cliContext(), name);
      const created = { apiKey: row.api_key, authToken };
      // Always JSON: this is what a deployment script stores (the authToken is not shown again).
      output.document(created);
      if (!output.json) output.note('The authToken is shown once: store it in your backend now.');
    } else if (action === 'list') {
      const rows = await services.apiCredentials.list();
      const credentials = rows.map((r) => ({ apiKey: r.api_key, name: r.name, createdAt: new Date(r.created_at).toISOString(), revokedAt: r.revoked_at === null ? null : new Date(r.revoked_at).toISOString() }));
      output.emit({ credentials }, () => {
        for (const c of credentials) output.line(`${c.apiKey.padEnd(20)} ${c.revokedAt ? 'revoked' : 'active '}  ${c.name}, created ${c.createdAt}`);
        if (credentials.length === 0) output.line('No API credentials.');
      });
    } else if (action === 'revoke') {
      if (!apiKey) throw new UsageError('api-credentials revoke needs an API_KEY');
      try {
        await services.useCases.credentials.revokeApiCredential(cliContext(), apiKey);
      } catch (error) {
        if (error instanceof ParleyError && error.code === 'api_credential_not_found') throw new UsageError(`no active credential ${apiKey}`);
        throw error;
      }
      output.emit({ revoked: apiKey }, () => output.line(`revoked ${apiKey}`));
    } else {
      throw new UsageError('api-credentials needs create, list or revoke');
    }
  });
};

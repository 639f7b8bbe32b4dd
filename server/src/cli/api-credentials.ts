/** `parley api-credentials …`: the token API's credentials (create, list, revoke). */
import { UsageError } from './args.js';
import { withServices, type Command } from './shell.js';

export const apiCredentialsCommand: Command = (shell, { positional, flags }) => {
  const { now, output } = shell;
  const [action, apiKey] = positional;
  return withServices(shell, async (services, audit) => {
    if (action === 'create') {
      const name = flags.get('--name');
      if (!name || name === 'true' || name.length > 100) throw new UsageError('api-credentials create needs --name (at most 100 characters)');
      const created = await audit.around('api_credential.create', name, () => services.apiCredentials.create(name, now()));
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
      if (!(await audit.around('api_credential.revoke', apiKey, () => services.apiCredentials.revoke(apiKey, now())))) throw new UsageError(`no active credential ${apiKey}`);
      output.emit({ revoked: apiKey }, () => output.line(`revoked ${apiKey}`));
    } else {
      throw new UsageError('api-credentials needs create, list or revoke');
    }
  });
};

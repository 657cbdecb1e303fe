import type { Services } from './services.ts';
import { randomPassword } from './users/passwords.ts';

/**
 * First-start state: the `admin` system administrator and the public `library` project. Runs on every start and
 * changes nothing once they exist. No password is built in: it comes from configuration or is generated and
 * printed once.
 */
export async function bootstrap(services: Services): Promise<{ generatedPassword?: string }> {
  await services.settings.load();
  const configured = services.config.adminPassword;
  const password = configured || randomPassword();
  const created = await services.users.createIfMissing('admin', password, true, 'System Administrator');
  const admin = await services.db.knex('users').where({ username: 'admin' }).first<{ id: number }>('id');
  await services.projects.ensure('library', true, admin?.id ?? null);
  return created && !configured ? { generatedPassword: password } : {};
}

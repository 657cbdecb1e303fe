import { BerthError } from '../core/errors.ts';

/** Harbor's policy: 8-128 characters with at least one upper-case letter, one lower-case letter and one digit. */
export function checkPasswordPolicy(password: string): void {
  if (password.length < 8 || password.length > 128 || !/[A-Z]/.test(password) || !/[a-z]/.test(password) || !/[0-9]/.test(password)) {
    throw new BerthError('BAD_REQUEST', 'the password must be 8-128 characters long with at least one upper-case letter, one lower-case letter and one digit');
  }
}

import type { ClientErrorKind } from '../client/errors.ts';

/**
 * The CLI's exit codes, one per kind of outcome, so a pipeline can tell "the gate said no" from "the registry is
 * down" without reading messages. Documented in `berth --help` and the README.
 */
export const exitCodes = {
  ok: 0,
  /** An error not covered below: a bad file, a server error, an unexpected answer. */
  error: 1,
  /** The command line was wrong. */
  usage: 2,
  /** A policy refused: a promotion's or gate's gates failed, an immutable tag, a quota. */
  refused: 3,
  /** Credentials missing, wrong or without the permission. */
  auth: 4,
  /** The server could not be reached. */
  network: 5,
  /** The image, project, robot or document does not exist. */
  notFound: 6,
} as const;

export const exitCodeOf = (kind: ClientErrorKind): number =>
  ({ network: exitCodes.network, auth: exitCodes.auth, policy: exitCodes.refused, 'not-found': exitCodes.notFound, invalid: exitCodes.error, server: exitCodes.error })[kind];

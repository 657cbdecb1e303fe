import { pino, type Logger } from 'pino';

export type { Logger };

/** Structured JSON logs; messages are static and lowercase, details go in fields. Secrets never go in. */
export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { service: 'berth' },
    redact: { paths: ['req.headers.authorization', 'password', 'secret', 'token'], censor: '[redacted]' },
  });
}

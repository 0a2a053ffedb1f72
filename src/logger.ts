/**
 * Structured logs (pino). Anything that could carry a secret is redacted by path, so a careless
 * `log.info({ req })` cannot leak an API key, a password or a signing secret.
 */
import pino, { type Logger } from 'pino';

export type { Logger };

export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  '*.password',
  '*.pass',
  '*.secret',
  '*.apiKey',
  '*.encryptionKey',
  'password',
  'secret',
  // One level deeper too (`{ webhook: { auth: { password } } }`); fast-redact has no `**`.
  '*.*.password',
  '*.*.pass',
  '*.*.secret',
  '*.headers.authorization',
  '*.*.headers.authorization',
  'authorization',
  // Header names as a user typed them (static headers of a webhook).
  'headers.Authorization',
  '*.headers.Authorization',
  '*.*.headers.Authorization',
  'Authorization',
  '*.authorizationHeader',
  'body',
  'request.body',
];

export function createLogger(level = 'info', destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'herald' },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination,
  );
}

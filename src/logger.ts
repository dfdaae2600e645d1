import { type DestinationStream, type Logger, pino } from 'pino';

export type { Logger } from 'pino';

/**
 * Structured JSON logs. Nothing we log carries a secret by construction (the HTTP layer logs
 * route templates, never URLs or bodies); `redact` is the second line of defence for any field
 * named like a credential that a future log call might add.
 */
const REDACT_PATHS = [
  'authorization',
  'headers.authorization',
  '*.authorization',
  'key',
  'secret',
  '*.key',
  '*.secret',
  'secretKey',
  '*.secretKey',
  'apiKey',
  '*.apiKey',
  'apiSecret',
  '*.apiSecret',
  'webhookSecret',
  '*.webhookSecret',
  'token',
  '*.token',
];

export function createLogger(options: { level?: string; destination?: DestinationStream } = {}): Logger {
  return pino(
    {
      level: options.level ?? 'info',
      base: { service: 'paygraph' },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    options.destination,
  );
}

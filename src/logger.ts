/**
 * Structured JSON logs, or colored lines for a person when stdout is a terminal (pino-pretty,
 * formatting the same JSON after it was scrubbed). Nothing we log carries a secret by construction (the HTTP layer logs
 * route templates, never URLs, headers or bodies); two defences stand behind that:
 * - `redact` censors any field named like a credential that a future log call might add;
 * - every secret value the gateway holds (provider keys, webhook secrets, the elopage webhook token)
 *   is registered with protectSecretValues and cut out of each line before it is written, wherever
 *   it hides (an error message, a URL, a stack).
 */

import { type DestinationStream, type Logger, pino } from 'pino';
import pretty from 'pino-pretty';

export type { Logger } from 'pino';

const REDACT_PATHS = [
  'authorization',
  'headers.authorization',
  'headers.cookie',
  'headers["elepay-signature"]',
  '*.authorization',
  '*.headers.authorization',
  '*.headers.cookie',
  'cookie',
  '*.cookie',
  'key',
  'secret',
  '*.key',
  '*.secret',
  'password',
  '*.password',
  'secretKey',
  '*.secretKey',
  'apiKey',
  '*.apiKey',
  'apiSecret',
  '*.apiSecret',
  'webhookSecret',
  '*.webhookSecret',
  'webhookToken',
  '*.webhookToken',
  'elepaySecrets',
  'elopageToken',
  'token',
  '*.token',
  'connectionParams',
  '*.connectionParams',
];

const CENSOR = '[redacted]';

/** Shorter values would censor ordinary words; every secret the gateway generates or accepts is longer. */
const MIN_PROTECTED_LENGTH = 8;
const protectedValues = new Set<string>();

/**
 * Registers secret values to be cut out of every log line of every logger createLogger made (the
 * registry is process-wide: loggers are created before the gateway has generated its secrets).
 */
export function protectSecretValues(values: Iterable<string | null | undefined>): void {
  for (const value of values) {
    if (!value || value.length < MIN_PROTECTED_LENGTH) continue;
    protectedValues.add(value);
    // As it appears inside a JSON string, should it contain a quote, a backslash or a control character.
    protectedValues.add(JSON.stringify(value).slice(1, -1));
  }
}

/**
 * Cuts every registered secret value out of a text: log lines, and also GraphQL responses and stored
 * idempotency payloads (src/plugins/maskError.ts, src/idempotency/payload.ts), as a last line.
 */
export function scrubSecrets(line: string): string {
  let text = line;
  for (const value of protectedValues) {
    if (text.includes(value)) text = text.split(value).join(CENSOR);
  }
  return text;
}

export interface LoggerOptions {
  level?: string;
  /** Where lines go; stdout by default. */
  destination?: DestinationStream;
  /** Colored, human-readable lines instead of JSON; by default when logging to a terminal. */
  pretty?: boolean;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const human = options.pretty ?? (options.destination === undefined && process.stdout.isTTY === true);
  const destination = human
    ? pretty({
        colorize: true,
        sync: true,
        translateTime: 'SYS:HH:MM:ss.l',
        ignore: 'pid,hostname,service',
        destination: options.destination ?? 1,
      })
    : options.destination;
  return pino(
    {
      level: options.level ?? 'info',
      base: { service: 'paygraph' },
      redact: { paths: REDACT_PATHS, censor: CENSOR },
      hooks: { streamWrite: scrubSecrets },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination,
  );
}

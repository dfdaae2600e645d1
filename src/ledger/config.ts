import { z } from 'zod';

/**
 * Where the ledger lives (`DATABASE_URL`, API.md Configuration): unset, embedded SQLite in memory
 * (the sandbox, one instance); `sqlite:<path>`, SQLite in that file; `postgres://…`, PostgreSQL,
 * which several instances share.
 */
export type LedgerConfig =
  | { engine: 'sqlite'; path: string | null }
  | { engine: 'postgres'; url: string; password: string | null };

const SQLITE = /^sqlite:(.+)$/;

/** The `DATABASE_URL` variable; the message never echoes the value (it may hold a password). */
export const databaseUrlVariable = z
  .string()
  .trim()
  .refine(
    (value) =>
      SQLITE.test(value) ||
      (URL.canParse(value) && /^postgres(ql)?:$/.test(new URL(value).protocol) && new URL(value).host !== ''),
    'must be a postgres://… URL or sqlite:<path>',
  )
  .optional();

export function ledgerConfigOf(databaseUrl: string | undefined): LedgerConfig {
  if (!databaseUrl) return { engine: 'sqlite', path: null };
  const file = SQLITE.exec(databaseUrl)?.[1];
  if (file !== undefined) return { engine: 'sqlite', path: file === ':memory:' ? null : file };
  const password = new URL(databaseUrl).password;
  return { engine: 'postgres', url: databaseUrl, password: password ? decodeURIComponent(password) : null };
}

/** For the startup banner: the engine and where, never a user name or password. */
export function describeLedger(config: LedgerConfig): string {
  if (config.engine === 'sqlite') return `ledger: SQLite ${config.path ?? 'in memory'}`;
  const url = new URL(config.url);
  return `ledger: PostgreSQL ${url.host}${url.pathname}`;
}

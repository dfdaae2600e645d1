import { randomBytes } from 'node:crypto';
import pg from 'pg';

/**
 * PostgreSQL for the suites that need it, under the same rule as Redis (support/redis.ts): a suite
 * may skip only when PostgreSQL is unreachable AND `CI` is unset, and then it says so. Every run
 * works in a database of its own, created here and dropped when the suite ends.
 */
export const POSTGRES_URL = process.env.TEST_POSTGRES_URL || 'postgres://postgres@127.0.0.1:5432/test';

async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2_000 });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Whether PostgreSQL answers at `url` within about two seconds. Never throws. */
export async function postgresAvailable(url = POSTGRES_URL): Promise<boolean> {
  try {
    return await withClient(url, async (client) => (await client.query('select 1 as one')).rows.length === 1);
  } catch {
    return false;
  }
}

/**
 * Whether the suite named `suite` must be skipped for lack of PostgreSQL: false when it answers;
 * true (with a warning) when it does not and CI is unset; throws when it does not in CI.
 */
export async function skipWithoutPostgres(suite: string, url = POSTGRES_URL): Promise<boolean> {
  if (await postgresAvailable(url)) return false;
  if (process.env.CI) {
    throw new Error(`${suite}: PostgreSQL at ${url} is unreachable, and CI requires this suite to run`);
  }
  console.warn(`SKIPPED ${suite}: PostgreSQL at ${url} is unreachable (allowed only because CI is unset)`);
  return true;
}

export interface TestDatabase {
  /** A postgres:// URL of the new, empty database. */
  url: string;
  /** Drops it, closing whatever connections are still open to it. */
  drop(): Promise<void>;
}

/** A new database no other suite or run uses, e.g. `paygraph_test_3f9a…`. */
export async function createTestDatabase(url = POSTGRES_URL): Promise<TestDatabase> {
  const name = `paygraph_test_${randomBytes(8).toString('hex')}`;
  await withClient(url, (client) => client.query(`create database ${name}`));
  const databaseUrl = new URL(url);
  databaseUrl.pathname = `/${name}`;
  return {
    url: databaseUrl.toString(),
    drop: async () => {
      await withClient(url, (client) => client.query(`drop database if exists ${name} with (force)`));
    },
  };
}

import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';
import { describeLedger } from '../../src/ledger/config.js';

/** DATABASE_URL → where the ledger lives (API.md, Configuration), and what the banner says of it. */
function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
  throw new Error(`configuration was accepted: ${JSON.stringify(env)}`);
}

describe('DATABASE_URL', () => {
  it('defaults to SQLite in memory: no database server, nothing to configure', () => {
    expect(loadConfig({}).ledger).toEqual({ engine: 'sqlite', path: null });
    expect(loadConfig({ DATABASE_URL: '  ' }).ledger).toEqual({ engine: 'sqlite', path: null });
  });

  it('takes sqlite:<path> for a file and sqlite::memory: for memory', () => {
    expect(loadConfig({ DATABASE_URL: 'sqlite:/var/lib/paygraph/ledger.db' }).ledger).toEqual({
      engine: 'sqlite',
      path: '/var/lib/paygraph/ledger.db',
    });
    expect(loadConfig({ DATABASE_URL: 'sqlite:./ledger.db' }).ledger).toEqual({
      engine: 'sqlite',
      path: './ledger.db',
    });
    expect(loadConfig({ DATABASE_URL: 'sqlite::memory:' }).ledger).toEqual({ engine: 'sqlite', path: null });
  });

  it('takes a postgres:// URL, keeping its password apart so that logs can hide it', () => {
    const url = 'postgres://paygraph:s3cr%40t-pass@db.internal:5432/paygraph';
    expect(loadConfig({ DATABASE_URL: url }).ledger).toEqual({
      engine: 'postgres',
      url,
      password: 's3cr@t-pass',
    });
    expect(loadConfig({ DATABASE_URL: 'postgresql://127.0.0.1/test' }).ledger).toMatchObject({
      engine: 'postgres',
      password: null,
    });
  });

  it('refuses anything else with one line that does not repeat the value', () => {
    for (const value of ['mysql://root:hunter2hunter2@db/x', 'postgres://', 'sqlite:', 'ledger.db']) {
      const problems = problemsOf({ DATABASE_URL: value });
      expect(problems).toEqual(['DATABASE_URL: must be a postgres://… URL or sqlite:<path>']);
    }
  });

  it('is described in the banner by engine and place, never by user or password', () => {
    expect(describeLedger(loadConfig({}).ledger)).toBe('ledger: SQLite in memory');
    expect(describeLedger(loadConfig({ DATABASE_URL: 'sqlite:/data/ledger.db' }).ledger)).toBe(
      'ledger: SQLite /data/ledger.db',
    );
    const postgres = describeLedger(
      loadConfig({ DATABASE_URL: 'postgres://paygraph:s3cret-pass@db.internal:5432/paygraph' }).ledger,
    );
    expect(postgres).toBe('ledger: PostgreSQL db.internal:5432/paygraph');
  });
});

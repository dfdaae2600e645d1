import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { generate } from '@graphql-codegen/cli';
import { expect, it } from 'vitest';
import config from '../examples/frontend/codegen.js';

/**
 * The README's typed-client example builds: the client preset generates typed documents from the
 * printed schema and the example's operations, and the example typechecks against them.
 */
const ROOT = fileURLToPath(new URL('..', import.meta.url));

it('generates the frontend example’s typed operations from the printed schema, and they typecheck', async () => {
  await generate({ ...config, silent: true, cwd: ROOT }, true);
  const types = readFileSync(new URL('../examples/frontend/src/gql/graphql.ts', import.meta.url), 'utf8');
  // Money stays a string end to end (Decimal), and the operation's result type exists.
  expect(types).toContain(
    'export type ChargeStatusQuery = { charge: { id: string, status: PaymentStatus, amount: { amount: string, currency: string }',
  );
  const tsc = fileURLToPath(new URL('../node_modules/typescript/bin/tsc', import.meta.url));
  await expect(
    promisify(execFile)(process.execPath, [tsc, '-p', 'examples/frontend/tsconfig.json'], { cwd: ROOT }),
  ).resolves.toBeTruthy();
}, 120_000);

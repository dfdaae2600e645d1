import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { SandboxSettleTransactionDocument, TransactionStatusChangedDocument } from './generated/graphql.js';
import { execute } from './support/client.js';
import { subscribeSse } from './support/subscriptions.js';

/**
 * The compiled gateway as the Docker image runs it (`npm run build`, then `node dist/main.js` on
 * every interface) behind a PUBLIC_URL that nothing inside can reach, as when the container's port
 * is published elsewhere: the embedded simulators still deliver their webhooks to the gateway
 * itself, so live status keeps working.
 */
const ROOT = fileURLToPath(new URL('..', import.meta.url));
let child: ChildProcess;
let url = '';

beforeAll(async () => {
  await promisify(execFile)('npm', ['run', 'build'], { cwd: ROOT });
  child = spawn(process.execPath, ['dist/main.js'], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      HOST: '0.0.0.0',
      PORT: '0',
      ELEPAY_SANDBOX_PORT: '0',
      ELOPAGE_SANDBOX_PORT: '0',
      // Port 1 on loopback: nothing listens there.
      PUBLIC_URL: 'http://127.0.0.1:1',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString('utf8');
  });
  // The banner is a JSON line (stdout is not a terminal): "paygraph listening on http://0.0.0.0:<port>".
  while (!url) {
    const port = /listening on http:\/\/0\.0\.0\.0:(\d+)/.exec(output)?.[1];
    if (port) url = `http://127.0.0.1:${port}`;
    else
      await Promise.race([
        once(child.stdout ?? child, 'data'),
        once(child, 'exit').then(() => {
          throw new Error(`the gateway exited: ${output}`);
        }),
      ]);
  }
}, 180_000);

afterAll(async () => {
  if (child && child.exitCode === null) {
    child.kill('SIGTERM');
    await once(child, 'exit');
  }
});

it('delivers the simulators’ webhooks to the gateway itself, not to PUBLIC_URL: a settled charge arrives', async () => {
  const events = await subscribeSse(url, TransactionStatusChangedDocument, {});
  try {
    const settled = await execute(url, SandboxSettleTransactionDocument, {
      // The seeded pending charge ch_7.
      input: { transactionId: 'Q2hhcmdlOmVsZXBheTpjaF83', outcome: 'SUCCEED' },
    });
    expect(settled.errors).toEqual([]);
    expect(settled.data?.sandboxSettleTransaction.userErrors).toEqual([]);
    const [event] = await events.waitFor(1);
    expect(event?.transactionStatusChanged).toMatchObject({
      status: 'SUCCEEDED',
      transaction: { providerId: 'ch_7' },
    });
  } finally {
    await events.close();
  }
});

/** Process entry: configuration, start, graceful stop on signals. */

// First, before the other modules fill the heap: how V8 sizes it (src/heapGrowth.ts).
import './heapGrowth.js';
import { type Config, ConfigError, loadConfig } from './config.js';
import { describeGateway, startGateway } from './gateway.js';
import { warmGraphiqlAssets } from './graphiql.js';
import { LedgerOpenError } from './ledger/index.js';
import { createLogger } from './logger.js';
import { startTracing, traceIds } from './tracing/index.js';

let config: Config;
try {
  config = loadConfig(process.env);
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  process.stderr.write(
    `paygraph: cannot start, the configuration has problems:\n${error.problems.map((p) => `  - ${p}\n`).join('')}`,
  );
  process.exit(1);
}

const logger = createLogger({ level: config.logLevel, traceIds: config.tracing ? traceIds : undefined });
// Before the gateway, so its routes and plugins are built with tracing on; the SDK is loaded only then.
const tracing = config.tracing ? await startTracing(config.tracing, logger) : null;
const gateway = await startGateway(config, logger).catch((error: unknown) => {
  // A database that cannot be opened, or a port that is taken or not ours to bind, is an
  // operator's problem, not a bug: one line, no stack.
  if (error instanceof LedgerOpenError) {
    process.stderr.write(`paygraph: cannot start: ${error.message}; check DATABASE_URL\n`);
    process.exit(1);
  }
  const { code, address, port } = error as NodeJS.ErrnoException & { address?: string; port?: number };
  if (code !== 'EADDRINUSE' && code !== 'EACCES' && code !== 'EADDRNOTAVAIL') throw error;
  process.stderr.write(
    `paygraph: cannot start: cannot listen on ${address}:${port} (${code}); check PORT, HOST and the *_SANDBOX_PORT variables\n`,
  );
  process.exit(1);
});
logger.info({ graphiql: `${gateway.publicUrl}/graphql` }, describeGateway(gateway, config));
// GraphiQL's files are compressed once per process: do it now rather than when the first visitor waits.
if (config.graphiql) void warmGraphiqlAssets();

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping');
    gateway
      .close()
      // Spans still buffered are exported before the process ends.
      .then(() => tracing?.stop())
      .then(
        () => process.exit(0),
        (error: unknown) => {
          logger.error({ err: error }, 'error while stopping');
          process.exit(1);
        },
      );
  });
}

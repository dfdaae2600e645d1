/**
 * `npm run sandbox`: both simulators on their own, e.g. to point a gateway (or curl) at them as
 * remote providers. Credentials and ports come from the environment; the defaults are documented
 * sandbox values, not secrets.
 */

import { createLogger } from '../logger.js';
import { createElepaySandbox } from './elepay/index.js';
import { createElopageSandbox } from './elopage/index.js';

const env = process.env;
const logger = createLogger({ level: env.LOG_LEVEL ?? 'info' });

const elepayWebhookUrl = env.ELEPAY_SANDBOX_WEBHOOK_URL;
const elepayWebhookSecret = env.ELEPAY_WEBHOOK_SECRET;
const elepay = createElepaySandbox({
  secretKey: env.ELEPAY_SANDBOX_SECRET_KEY ?? 'sk_test_paygraph_sandbox',
  webhook:
    elepayWebhookUrl && elepayWebhookSecret ? { url: elepayWebhookUrl, secret: elepayWebhookSecret } : null,
  logger: logger.child({ sandbox: 'elepay' }),
});
const elopage = createElopageSandbox({
  apiKey: env.ELOPAGE_SANDBOX_API_KEY ?? 'paygraph_sandbox_key',
  apiSecret: env.ELOPAGE_SANDBOX_API_SECRET ?? 'paygraph_sandbox_secret',
  // Of local webhook targets, only the gateway (npm start's by default) is posted to.
  allowedWebhookOrigins: [env.PUBLIC_URL || 'http://localhost:4000', 'http://127.0.0.1:4000'],
  logger: logger.child({ sandbox: 'elopage' }),
});

const host = env.HOST ?? '127.0.0.1';
const elepayUrl = await elepay.server.listen(Number(env.ELEPAY_SANDBOX_PORT ?? 4010), host);
const elopageUrl = await elopage.server.listen(Number(env.ELOPAGE_SANDBOX_PORT ?? 4011), host);
logger.info(
  { elepay: elepayUrl, elopage: `${elopageUrl}/api`, elepayWebhooks: elepayWebhookUrl ? 'on' : 'off' },
  `sandboxes ready: elepay at ${elepayUrl}, elopage at ${elopageUrl}/api (request counts at /_sandbox/stats)`,
);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    void Promise.all([elepay.server.close(), elopage.server.close()]).then(() => process.exit(0));
  });
}

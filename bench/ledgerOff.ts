import { SqlWebhookDeliveries } from '../src/ledger/deliveryStore.js';
import { SqlLedger } from '../src/ledger/store.js';

/**
 * Preloaded (`node --import`) into the "ledger off" gateway of bench/ledgerCost.ts: the ledger's
 * writes (changes, notes, webhook deliveries) become no-ops, so the same code runs with and without them. What remains on this side is
 * opening the database, the hooks' calls and the projection's queue, so the measured cost is
 * slightly below the whole cost.
 */
for (const [store, name, value] of [
  [SqlLedger, 'observe', async () => undefined],
  [SqlLedger, 'project', async () => 'applied'],
  // Each webhook's delivery record.
  [SqlWebhookDeliveries, 'record', () => undefined],
] as const) {
  const prototype = store.prototype as unknown as Record<string, unknown>;
  if (typeof prototype[name] !== 'function')
    throw new Error(`${store.name} has no ${name} any more: update bench/ledgerOff.ts`);
  prototype[name] = value;
}

import { SqlWebhookDeliveries } from '../src/ledger/deliveryStore.js';

/**
 * Preloaded (`node --import`) into a gateway of bench/ledgerCost.ts: each webhook's delivery record
 * becomes a no-op, so the ledger's other writes run as usual and the difference to the default
 * gateway is the cost of recording deliveries alone. bench/ledgerOff.ts turns it off too.
 */
const prototype = SqlWebhookDeliveries.prototype as unknown as Record<string, unknown>;
if (typeof prototype.record !== 'function') {
  throw new Error('SqlWebhookDeliveries has no record any more: update bench/deliveriesOff.ts');
}
prototype.record = () => undefined;

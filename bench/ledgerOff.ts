import { SqlLedger } from '../src/ledger/store.js';
import './deliveriesOff.js';

/**
 * Preloaded (`node --import`) into the "ledger off" gateway of bench/ledgerCost.ts: the ledger's
 * writes (changes, notes, and webhook deliveries: deliveriesOff.ts) become no-ops, so the same code runs with and without them. What remains on this side is
 * opening the database, the hooks' calls and the projection's queue, so the measured cost is
 * slightly below the whole cost.
 */
const prototype = SqlLedger.prototype as unknown as Record<string, unknown>;
for (const [name, value] of [
  ['observe', async () => undefined],
  ['project', async () => 'applied'],
] as const) {
  if (typeof prototype[name] !== 'function')
    throw new Error(`SqlLedger has no ${name} any more: update bench/ledgerOff.ts`);
  prototype[name] = value;
}

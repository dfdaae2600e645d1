import DataLoader from 'dataloader';
import type { Services } from './context.js';
import type { Charge, ElepayRefund, ElopageTransaction, PricingPlan, SalesPage } from './domain/model.js';
import { toCharge, toElepayRefund } from './providers/elepay/map.js';
import {
  type ElopageMapping,
  toElopageTransaction,
  toPricingPlan,
  toSalesPage,
} from './providers/elopage/map.js';
import type { ElopageSalesPageWire } from './providers/elopage/wire.js';
import { mappedOnce } from './providers/sharedReads.js';

/**
 * Per-request loaders for every by-ID lookup. Neither provider has a batch endpoint, so a batch
 * is one concurrent GET per distinct key; the pool in providers/http.ts caps how many run at once.
 * The same key twice in one request costs one call. Loaders return domain objects, or null for
 * IDs the provider does not know; a failed call fails only the keys it was for.
 */
export interface ElepayRefundKey {
  chargeId: string;
  refundId: string;
}

export interface Loaders {
  salesPage: DataLoader<string, SalesPage | null>;
  pricingPlan: DataLoader<string, PricingPlan | null>;
  /** elopage serves payments and refunds on one route (GET /payments/:id). */
  elopageTransaction: DataLoader<string, ElopageTransaction | null>;
  charge: DataLoader<string, Charge | null>;
  chargeRefunds: DataLoader<string, ElepayRefund[] | null>;
  elepayRefund: DataLoader<ElepayRefundKey, ElepayRefund | null, string>;
}

// Shared across requests: identical concurrent reads return one wire object (sharedReads.ts).
const toTransactionOnce = mappedOnce(toElopageTransaction);
const toSalesPageOnce = mappedOnce((wire: ElopageSalesPageWire, id: string, env: ElopageMapping) =>
  toSalesPage(id, wire, env),
);
const toChargeOnce = mappedOnce(toCharge);

/** One call per key, all at once; a key's failure is returned as its Error, as DataLoader expects. */
function eachKey<K, V>(load: (key: K) => Promise<V>): DataLoader.BatchLoadFn<K, V> {
  return (keys) => Promise.all(keys.map((key) => load(key).catch((error: unknown) => error as Error)));
}

export function createLoaders(services: Services): Loaders {
  const { elepay, elopage, statuses } = services;
  const elopageEnv = { currency: services.elopageCurrency, statuses };

  const pricingPlan = new DataLoader<string, PricingPlan | null>(
    eachKey(async (id) => {
      const wire = await elopage.getPricingPlan(id);
      return wire ? toPricingPlan({ ...wire, id: wire.id ?? id }, elopageEnv) : null;
    }),
  );

  const salesPage = new DataLoader<string, SalesPage | null>(
    eachKey(async (id) => {
      const wire = await elopage.getSalesPage(id);
      if (!wire) return null;
      const page = toSalesPageOnce(wire, id, elopageEnv);
      for (const plan of page.pricingPlans) pricingPlan.prime(plan.providerId, plan);
      return page;
    }),
  );

  const elopageTransaction = new DataLoader<string, ElopageTransaction | null>(
    eachKey(async (id) => {
      const wire = await elopage.getTransaction(id);
      return wire ? toTransactionOnce(wire, elopageEnv) : null;
    }),
  );

  const charge = new DataLoader<string, Charge | null>(
    eachKey(async (id) => {
      const wire = await elepay.getCharge(id);
      return wire ? toChargeOnce(wire, statuses) : null;
    }),
  );

  const refundKey = (key: ElepayRefundKey) => `${key.chargeId}\u0000${key.refundId}`;
  const elepayRefund = new DataLoader<ElepayRefundKey, ElepayRefund | null, string>(
    eachKey(async ({ chargeId, refundId }) => {
      const wire = await elepay.getRefund(chargeId, refundId);
      return wire ? toElepayRefund(wire, statuses) : null;
    }),
    { cacheKeyFn: refundKey },
  );

  const chargeRefunds = new DataLoader<string, ElepayRefund[] | null>(
    eachKey(async (chargeId) => {
      const wire = await elepay.listRefunds(chargeId);
      if (!wire) return null;
      const refunds = wire.refunds.map((refund) => toElepayRefund(refund, statuses));
      for (const refund of refunds) elepayRefund.prime({ chargeId, refundId: refund.providerId }, refund);
      return refunds;
    }),
  );

  return { salesPage, pricingPlan, elopageTransaction, charge, chargeRefunds, elepayRefund };
}

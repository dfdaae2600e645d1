import DataLoader from 'dataloader';
import type { Services } from './context.js';
import type { Charge, ElepayRefund, ElopageTransaction, PricingPlan, SalesPage } from './domain/model.js';
import { toCharge, toElepayRefund } from './providers/elepay/map.js';
import { toElopageTransaction, toPricingPlan, toSalesPage } from './providers/elopage/map.js';

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

/** One call per key, all at once; a key's failure is returned as its Error, as DataLoader expects. */
function eachKey<K, V>(load: (key: K) => Promise<V>): DataLoader.BatchLoadFn<K, V> {
  return (keys) => Promise.all(keys.map((key) => load(key).catch((error: unknown) => error as Error)));
}

/**
 * Defines `name` on `target` as made by `make` on first use. A subscription's context has loaders it
 * never uses (events resolve through their own: events/sharedExecution.ts), and an idle
 * subscription should cost as little memory as possible.
 */
function lazily<T extends object, K extends keyof T>(target: T, name: K, make: () => T[K]): void {
  Object.defineProperty(target, name, {
    configurable: true,
    enumerable: true,
    get() {
      const value = make();
      Object.defineProperty(target, name, { value, enumerable: true });
      return value;
    },
  });
}

/**
 * The loaders of one request, or of one event (every subscriber of the event shares them, and
 * they are made after the event was recorded, so they never hold data older than the event).
 * Each loader is made on first use.
 */
export function createLoaders(services: Services): Loaders {
  const { elepay, elopage, statuses } = services;
  const elopageEnv = { currency: services.elopageCurrency, statuses };
  const loaders = {} as Loaders;

  lazily(
    loaders,
    'pricingPlan',
    () =>
      new DataLoader<string, PricingPlan | null>(
        eachKey(async (id) => {
          const wire = await elopage.getPricingPlan(id);
          return wire ? toPricingPlan({ ...wire, id: wire.id ?? id }, elopageEnv) : null;
        }),
      ),
  );

  lazily(
    loaders,
    'salesPage',
    () =>
      new DataLoader<string, SalesPage | null>(
        eachKey(async (id) => {
          const wire = await elopage.getSalesPage(id);
          if (!wire) return null;
          const page = toSalesPage(id, wire, elopageEnv);
          for (const plan of page.pricingPlans) loaders.pricingPlan.prime(plan.providerId, plan);
          return page;
        }),
      ),
  );

  lazily(
    loaders,
    'elopageTransaction',
    () =>
      new DataLoader<string, ElopageTransaction | null>(
        eachKey(async (id) => {
          const wire = await elopage.getTransaction(id);
          return wire ? toElopageTransaction(wire, elopageEnv) : null;
        }),
      ),
  );

  lazily(
    loaders,
    'charge',
    () =>
      new DataLoader<string, Charge | null>(
        eachKey(async (id) => {
          const wire = await elepay.getCharge(id);
          return wire ? toCharge(wire, statuses) : null;
        }),
      ),
  );

  const refundKey = (key: ElepayRefundKey) => `${key.chargeId}\u0000${key.refundId}`;
  lazily(
    loaders,
    'elepayRefund',
    () =>
      new DataLoader<ElepayRefundKey, ElepayRefund | null, string>(
        eachKey(async ({ chargeId, refundId }) => {
          const wire = await elepay.getRefund(chargeId, refundId);
          return wire ? toElepayRefund(wire, statuses) : null;
        }),
        { cacheKeyFn: refundKey },
      ),
  );

  lazily(
    loaders,
    'chargeRefunds',
    () =>
      new DataLoader<string, ElepayRefund[] | null>(
        eachKey(async (chargeId) => {
          const wire = await elepay.listRefunds(chargeId);
          if (!wire) return null;
          const refunds = wire.refunds.map((refund) => toElepayRefund(refund, statuses));
          for (const refund of refunds)
            loaders.elepayRefund.prime({ chargeId, refundId: refund.providerId }, refund);
          return refunds;
        }),
      ),
  );

  return loaders;
}

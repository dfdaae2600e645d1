/**
 * Per-request loaders for every by-ID lookup. Neither provider has a batch endpoint, so a batch
 * is one concurrent GET per distinct key; the pool in providers/http.ts caps how many run at once.
 * The same key twice in one request costs one call. Loaders return domain objects, or null for
 * IDs the provider does not know; a failed call fails only the keys it was for.
 */
import DataLoader from 'dataloader';
import type { Services } from './context.js';
import { CodedError } from './domain/errors.js';
import { globalIdOf } from './domain/ids.js';
import type {
  Charge,
  ElepayRefund,
  ElopageTransaction,
  NodeObject,
  PricingPlan,
  SalesPage,
  Transaction,
} from './domain/model.js';
import type { FreshRead } from './providers/http.js';

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
  /** The tenant owning each transaction (by global ID), from the ledger; null for none. */
  owner: DataLoader<string, string | null>;
  /** Whether the ledger knows a refund of each transaction (by global ID); false without the ledger. */
  refunded: DataLoader<string, boolean>;
  /**
   * The transactions `tenant`'s client may see: its tenant's only (docs/ledger.md, Tenants); all of
   * them for a client without one (null). The by-ID loaders above apply it with the request's
   * tenant (a transaction the viewer may not see loads as null: not found); a list applies it with
   * the viewer's (an event's loaders serve the subscribers of every tenant).
   */
  visible<T extends Transaction>(transactions: readonly T[], tenant: string | null): Promise<T[]>;
  /**
   * Puts an object already read (a page of charges, a write's answer, a replayed payload) into the
   * loader that would fetch it, so a field that loads it by ID later in the request reads this one
   * instead of calling the provider. The one place that primes loaders.
   */
  remember(node: NodeObject): void;
}

/** One call per key, all at once; a key's failure is returned as its Error, as DataLoader expects. */
function eachKey<K, V>(load: (key: K) => Promise<V>): DataLoader.BatchLoadFn<K, V> {
  return (keys) => Promise.all(keys.map((key) => load(key).catch((error: unknown) => error as Error)));
}

/**
 * Notes the transactions a batch read in the ledger (src/ledger), in one write that nobody waits
 * for: the ledger indexes what the gateway saw, and a read never waits on it or fails with it.
 */
function noted<K, V extends Transaction | Transaction[] | null>(
  services: Services,
  batch: DataLoader.BatchLoadFn<K, V>,
): DataLoader.BatchLoadFn<K, V> {
  return async (keys) => {
    const values = await batch(keys);
    const read = Array.from(values).flatMap((value) =>
      value instanceof Error || value === null ? [] : value,
    );
    if (read.length > 0) void services.ledger.observe(read, 'READ');
    return values;
  };
}

const refundKey = (key: ElepayRefundKey) => `${key.chargeId}\u0000${key.refundId}`;

/**
 * The loaders of one request, or of one event (every subscriber of the event shares them, and
 * they are made after the event was recorded, so they never hold data older than the event).
 * Each loader is made on first use, by a getter on the prototype: a subscription's context has
 * loaders it never uses (events resolve through their own: events/sharedExecution.ts), and an idle
 * subscription should cost as little memory as possible.
 */
class LazyLoaders implements Loaders {
  private salesPageLoader?: Loaders['salesPage'];
  private pricingPlanLoader?: Loaders['pricingPlan'];
  private elopageTransactionLoader?: Loaders['elopageTransaction'];
  private chargeLoader?: Loaders['charge'];
  private chargeRefundsLoader?: Loaders['chargeRefunds'];
  private elepayRefundLoader?: Loaders['elepayRefund'];
  private ownerLoader?: Loaders['owner'];
  private refundedLoader?: Loaders['refunded'];

  /**
   * `read`: how every provider read is sent; an event's loaders read fresh (see createLoaders).
   * `tenant`: the viewer's, whose transactions alone these loaders find; null: every transaction.
   */
  constructor(
    private readonly services: Services,
    private readonly read: FreshRead,
    private readonly tenant: string | null,
  ) {}

  get owner(): Loaders['owner'] {
    this.ownerLoader ??= new DataLoader(async (ids) => {
      try {
        return await this.services.ledger.owners(ids);
      } catch {
        const unavailable = new CodedError(
          'LEDGER_UNAVAILABLE',
          "the ledger does not answer, so this tenant's transactions cannot be told apart; retry later",
        );
        return ids.map(() => unavailable);
      }
    });
    return this.ownerLoader;
  }

  get refunded(): Loaders['refunded'] {
    // Without the ledger, what the event log kept decides alone (services/refunds.ts).
    this.refundedLoader ??= new DataLoader((ids) =>
      this.services.ledger.refunded(ids).catch(() => ids.map(() => false)),
    );
    return this.refundedLoader;
  }

  async visible<T extends Transaction>(transactions: readonly T[], tenant: string | null): Promise<T[]> {
    if (tenant === null || transactions.length === 0) return [...transactions];
    const owners = await this.owner.loadMany(transactions.map(globalIdOf));
    const failed = owners.find((owner) => owner instanceof Error);
    if (failed) throw failed;
    return transactions.filter((_transaction, index) => owners[index] === tenant);
  }

  /** A by-ID batch that finds only what the viewer may see (see Loaders.visible). */
  private visibleOnly<K, V extends Transaction | null>(
    batch: DataLoader.BatchLoadFn<K, V>,
  ): DataLoader.BatchLoadFn<K, V> {
    if (this.tenant === null) return batch;
    return async (keys) => {
      const values = Array.from(await batch(keys));
      let shown: Set<Transaction>;
      try {
        const found = values.filter(
          (value): value is Transaction & V => value !== null && !(value instanceof Error),
        );
        shown = new Set(await this.visible(found, this.tenant));
      } catch (error) {
        return values.map(() => error as Error);
      }
      return values.map((value) =>
        value === null || value instanceof Error || shown.has(value as Transaction) ? value : (null as V),
      );
    };
  }

  get pricingPlan(): Loaders['pricingPlan'] {
    this.pricingPlanLoader ??= new DataLoader(
      eachKey((id) => this.services.elopage.getPricingPlan(id, this.read)),
    );
    return this.pricingPlanLoader;
  }

  get salesPage(): Loaders['salesPage'] {
    this.salesPageLoader ??= new DataLoader(
      eachKey(async (id) => {
        const page = await this.services.elopage.getSalesPage(id, this.read);
        if (!page) return null;
        this.remember(page);
        return page;
      }),
    );
    return this.salesPageLoader;
  }

  get elopageTransaction(): Loaders['elopageTransaction'] {
    this.elopageTransactionLoader ??= new DataLoader(
      this.visibleOnly(
        noted(
          this.services,
          eachKey((id: string) => this.services.elopage.getTransaction(id, this.read)),
        ),
      ),
    );
    return this.elopageTransactionLoader;
  }

  get charge(): Loaders['charge'] {
    this.chargeLoader ??= new DataLoader(
      this.visibleOnly(
        noted(
          this.services,
          eachKey((id: string) => this.services.elepay.getCharge(id, this.read)),
        ),
      ),
    );
    return this.chargeLoader;
  }

  get elepayRefund(): Loaders['elepayRefund'] {
    this.elepayRefundLoader ??= new DataLoader(
      this.visibleOnly(
        noted(
          this.services,
          eachKey(({ chargeId, refundId }: ElepayRefundKey) =>
            this.services.elepay.getRefund(chargeId, refundId, this.read),
          ),
        ),
      ),
      { cacheKeyFn: refundKey },
    );
    return this.elepayRefundLoader;
  }

  get chargeRefunds(): Loaders['chargeRefunds'] {
    this.chargeRefundsLoader ??= new DataLoader(
      noted(
        this.services,
        eachKey(async (chargeId: string) => {
          const refunds = await this.services.elepay.listRefunds(chargeId, this.read);
          if (!refunds) return null;
          // Every refund, for the workflows' sums; a tenant's later lookups by ID are checked, not primed.
          if (this.tenant === null) for (const refund of refunds) this.remember(refund);
          return refunds;
        }),
      ),
    );
    return this.chargeRefundsLoader;
  }

  remember(node: NodeObject): void {
    switch (node.kind) {
      case 'Charge':
        this.charge.prime(node.providerId, node);
        break;
      case 'Payment':
        this.elopageTransaction.prime(node.providerId, node);
        break;
      case 'Refund':
        if (node.provider === 'ELEPAY') {
          this.elepayRefund.prime({ chargeId: node.chargeId, refundId: node.providerId }, node);
        } else {
          this.elopageTransaction.prime(node.providerId, node);
        }
        break;
      case 'SalesPage':
        this.salesPage.prime(node.providerId, node);
        // Its plans came with it: a plan looked up by ID later costs no call.
        for (const plan of node.pricingPlans) this.remember(plan);
        break;
      case 'PricingPlan':
        this.pricingPlan.prime(node.providerId, node);
        break;
    }
  }
}

/**
 * The loaders of a request, or with `{ fresh: true }` of an event: its reads never join a
 * provider read that was already in flight (providers/sharedReads.ts), which may have been sent
 * before the change the event reports; later reads may join them. With a `tenant`, they find only
 * that tenant's transactions.
 */
export function createLoaders(
  services: Services,
  read: FreshRead = {},
  tenant: string | null = null,
): Loaders {
  return new LazyLoaders(services, read, tenant);
}

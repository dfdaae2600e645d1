import {
  type DocumentNode,
  type FieldNode,
  type GraphQLField,
  GraphQLIncludeDirective,
  type GraphQLObjectType,
  type GraphQLOutputType,
  type GraphQLSchema,
  GraphQLSkipDirective,
  getArgumentValues,
  getDirectiveValues,
  getNamedType,
  getNullableType,
  getOperationAST,
  getVariableValues,
  isAbstractType,
  isListType,
  isObjectType,
  Kind,
  type SelectionSetNode,
} from 'graphql';

/**
 * How many provider calls one operation could make, estimated before it runs.
 *
 * Neither provider has a batch endpoint (loaders.ts), so every object fetched by ID is one HTTP
 * call, and a nested provider field under a list is one call per item. The estimate is an upper
 * bound for our schema, not a general complexity model: loaders dedupe repeated IDs at runtime, so
 * the real count is often lower, never higher (except through the defaults below).
 *
 * | field                                                                  | calls           | items below it                 |
 * |------------------------------------------------------------------------|-----------------|--------------------------------|
 * | Query.node, transaction, salesPage, pricingPlan, payment, refund, charge | 1               | 1                              |
 * | Query.nodes(ids)                                                       | distinct ids    | distinct ids                   |
 * | Query.charges(first/last, filter)                                      | 1 (5 with filter.orderNo: it scans up to 5 pages) | first ?? last ?? 20, at most 100 (1 with orderNo) |
 * | Query.transactions(first) (the ledger: totalCount, cursors, filters)   | 0               | first ?? 20, at most 100       |
 * | TransactionEdge.node (read from its provider)                          | 1 per item      | 1                              |
 * | Transaction.statusHistory (the ledger)                                 | 0               | 20 (any other list)            |
 * | Charge.refunds(first/last)                                             | 1 per charge    | first ?? last ?? 20            |
 * | Payment.salesPage                                                      | 1 per payment   | 1                              |
 * | Refund.refundedTransaction                                             | 1 per refund    | 1                              |
 * | SalesPage.pricingPlans                                                 | 0 (embedded in the sales page) | 5 (elopage's maximum) |
 * | *Connection.edges                                                      | 0               | 1 (the page is counted above)  |
 * | Subscription.transactionStatusChanged                                  | 0 (the event carries the transaction) | 1: the cost is per event |
 * | Mutation.* (see MUTATION_CALLS)                                        | 1–4             | 1                              |
 * | any other list                                                         | 0               | 20                             |
 * | anything else                                                          | 0               | 1                              |
 *
 * A subscription's estimate is what one event can cost: its selection is resolved once per event
 * (events/sharedExecution.ts), and a subscription that could exceed the limit per event is refused
 * when it starts (useQueryLimits' onSubscribe), never midway.
 *
 * A field's nested cost is multiplied by its items (a connection's page size applies to everything
 * below it). On an interface or union, the costliest possible type counts, since each object has
 * exactly one type. `@skip`/`@include` are honoured with the request's variables.
 */

/** What a field costs: calls of its own, and how many times its selection runs. */
interface FieldCost {
  calls: number;
  items: number;
}

/** The page size elepay allows (charge.ts), and what Pothos and our connections default to. */
const MAX_PAGE = 100;
const DEFAULT_LIST_SIZE = 20;
/** charges(filter: { orderNo }) scans up to this many pages (charge.ts, ORDER_NO_SCAN_PAGES). */
const ORDER_NO_SCAN_PAGES = 5;
/** elopage allows at most 5 pricing plans per sales page (pricingPlan.ts, MAX_PRICING_PLANS). */
const MAX_PRICING_PLANS = 5;

/** Provider calls each mutation makes itself (loads, the change, a reload), read from its resolver. */
const MUTATION_CALLS: Record<string, number> = {
  createSalesPage: 2, // create + load
  updateSalesPage: 3, // load + update + reload
  createPricingPlan: 3, // load the page + create + load the plan
  deletePricingPlan: 2,
  refundPayment: 3, // load + refund + reload
  createCharge: 1,
  captureCharge: 2, // load + capture
  cancelCharge: 2, // load + revoke
  refundCharge: 4, // load charge + list refunds + refund + reload
  refundTransaction: 4, // as refundCharge or refundPayment
  sandboxCompleteCheckout: 2,
  sandboxSettleTransaction: 2,
};
/** A mutation added later without an entry here still costs something. */
const DEFAULT_MUTATION_CALLS = 3;

const ROOT_LOOKUPS = new Set([
  'node',
  'transaction',
  'salesPage',
  'pricingPlan',
  'payment',
  'refund',
  'charge',
]);

function pageSize(args: Record<string, unknown>, fallback: number, max = Number.POSITIVE_INFINITY): number {
  const first = args.first ?? args.last;
  const size = typeof first === 'number' && Number.isFinite(first) ? first : fallback;
  return Math.min(Math.max(size, 0), max);
}

function fieldCost(
  parent: GraphQLObjectType,
  field: GraphQLField<unknown, unknown>,
  args: Record<string, unknown>,
  schema: GraphQLSchema,
): FieldCost {
  const owner = parent.name;
  const name = field.name;
  if (parent === schema.getQueryType()) {
    if (ROOT_LOOKUPS.has(name)) return { calls: 1, items: 1 };
    if (name === 'nodes') {
      const ids = args.ids;
      const count = Array.isArray(ids) ? new Set(ids).size : ids == null ? 0 : 1;
      return { calls: count, items: count };
    }
    if (name === 'charges') {
      const filter = args.filter as { orderNo?: unknown } | null | undefined;
      if (filter?.orderNo != null) return { calls: ORDER_NO_SCAN_PAGES, items: 1 };
      return { calls: 1, items: pageSize(args, DEFAULT_LIST_SIZE, MAX_PAGE) };
    }
    if (name === 'transactions') return { calls: 0, items: pageSize(args, DEFAULT_LIST_SIZE, MAX_PAGE) };
  }
  if (parent === schema.getMutationType()) {
    return { calls: MUTATION_CALLS[name] ?? DEFAULT_MUTATION_CALLS, items: 1 };
  }
  if (owner === 'Charge' && name === 'refunds') return { calls: 1, items: pageSize(args, DEFAULT_LIST_SIZE) };
  if (owner === 'TransactionEdge' && name === 'node') return { calls: 1, items: 1 };
  if (owner === 'Payment' && name === 'salesPage') return { calls: 1, items: 1 };
  if (owner === 'Refund' && name === 'refundedTransaction') return { calls: 1, items: 1 };
  if (owner === 'SalesPage' && name === 'pricingPlans') return { calls: 0, items: MAX_PRICING_PLANS };
  // The connection field counted its page already; its edges are that page, not another list.
  if (owner.endsWith('Connection') && name === 'edges') return { calls: 0, items: 1 };
  // Any other list (userErrors, authors, commissions, introspection): free, but sized, so a
  // provider field added beneath one later is not counted once for the whole list.
  return { calls: 0, items: isListType(getNullableType(field.type)) ? DEFAULT_LIST_SIZE : 1 };
}

class Estimator {
  constructor(
    private readonly schema: GraphQLSchema,
    private readonly document: DocumentNode,
    private readonly variables: Record<string, unknown>,
  ) {}

  /** The cost of a selection on a value of `type`: for an abstract type, its costliest object type. */
  selection(selectionSet: SelectionSetNode, type: GraphQLOutputType): number {
    return this.merged([selectionSet], type);
  }

  /** Collects fields as execution does (fragments merged, same response key merged), then sums. */
  private onObject(selectionSets: readonly SelectionSetNode[], type: GraphQLObjectType): number {
    const fields = new Map<string, FieldNode[]>();
    for (const selectionSet of selectionSets) this.collect(selectionSet, type, fields, new Set());
    let total = 0;
    for (const nodes of fields.values()) {
      const first = nodes[0];
      if (!first) continue;
      const definition = type.getFields()[first.name.value];
      // __typename and introspection fields cost nothing; unknown fields cannot pass validation.
      if (!definition) continue;
      let args: Record<string, unknown>;
      try {
        args = getArgumentValues(definition, first, this.variables);
      } catch {
        // Execution rejects bad arguments before the resolver runs: no call.
        continue;
      }
      const own = fieldCost(type, definition, args, this.schema);
      const subSelections = nodes.flatMap((node) => (node.selectionSet ? [node.selectionSet] : []));
      const nested = this.merged(subSelections, definition.type);
      total += own.calls + own.items * nested;
    }
    return total;
  }

  /** Selections of one response key, merged as execution merges them. */
  private merged(selectionSets: SelectionSetNode[], type: GraphQLOutputType): number {
    if (selectionSets.length === 0) return 0;
    const named = getNamedType(type);
    if (isObjectType(named)) return this.onObject(selectionSets, named);
    if (isAbstractType(named)) {
      let worst = 0;
      for (const possible of this.schema.getPossibleTypes(named)) {
        worst = Math.max(worst, this.onObject(selectionSets, possible));
      }
      return worst;
    }
    return 0;
  }

  private collect(
    selectionSet: SelectionSetNode,
    type: GraphQLObjectType,
    fields: Map<string, FieldNode[]>,
    visitedFragments: Set<string>,
  ): void {
    for (const selection of selectionSet.selections) {
      if (!this.included(selection)) continue;
      switch (selection.kind) {
        case Kind.FIELD: {
          const key = selection.alias?.value ?? selection.name.value;
          const list = fields.get(key);
          if (list) list.push(selection);
          else fields.set(key, [selection]);
          break;
        }
        case Kind.INLINE_FRAGMENT:
          if (this.applies(selection.typeCondition?.name.value, type)) {
            this.collect(selection.selectionSet, type, fields, visitedFragments);
          }
          break;
        case Kind.FRAGMENT_SPREAD: {
          const name = selection.name.value;
          if (visitedFragments.has(name)) break;
          visitedFragments.add(name);
          const fragment = this.document.definitions.find(
            (definition) => definition.kind === Kind.FRAGMENT_DEFINITION && definition.name.value === name,
          );
          if (
            fragment?.kind === Kind.FRAGMENT_DEFINITION &&
            this.applies(fragment.typeCondition.name.value, type)
          ) {
            this.collect(fragment.selectionSet, type, fields, visitedFragments);
          }
          break;
        }
      }
    }
  }

  private applies(condition: string | undefined, type: GraphQLObjectType): boolean {
    if (!condition || condition === type.name) return true;
    const conditionType = this.schema.getType(condition);
    return Boolean(
      conditionType && isAbstractType(conditionType) && this.schema.isSubType(conditionType, type),
    );
  }

  /** @skip / @include as execution reads them; when unreadable, the selection counts (upper bound). */
  private included(node: Parameters<typeof getDirectiveValues>[1]): boolean {
    try {
      if (getDirectiveValues(GraphQLSkipDirective, node, this.variables)?.if === true) return false;
      if (getDirectiveValues(GraphQLIncludeDirective, node, this.variables)?.if === false) return false;
    } catch {
      return true;
    }
    return true;
  }
}

/**
 * The estimate for the operation a request executes, or null when it cannot be known: no such
 * operation, or variables that do not coerce (execution then fails before any resolver runs).
 */
export function estimateProviderCalls(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | null | undefined,
  rawVariables: Record<string, unknown> | null | undefined,
): number | null {
  const operation = getOperationAST(document, operationName);
  if (!operation) return null;
  const root =
    operation.operation === 'query'
      ? schema.getQueryType()
      : operation.operation === 'mutation'
        ? schema.getMutationType()
        : schema.getSubscriptionType();
  if (!root) return null;
  const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], rawVariables ?? {}, {
    maxErrors: 1,
  });
  if (coerced.errors) return null;
  return new Estimator(schema, document, coerced.coerced).selection(operation.selectionSet, root);
}

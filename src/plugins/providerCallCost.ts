/**
 * How many provider calls one operation could make, estimated before it runs.
 *
 * Neither provider has a batch endpoint (loaders.ts), so every object fetched by ID is one HTTP
 * call, and a nested provider field under a list is one call per item. Each field that calls a
 * provider declares what it costs where it is defined, with `extensions: providerCalls(…)`: calls of
 * its own, and how many items its selection runs for (a list's length, a page's size). The estimate
 * adds them up over the operation; it is an upper bound for our schema, not a general complexity
 * model: loaders dedupe repeated IDs at runtime, so the real count is often lower, never higher.
 * test/graphql/callEstimate.test.ts checks it against the calls every example operation makes.
 *
 * Fields without a declaration: a connection's `edges` are its page (counted on the connection
 * field); any other list is free but sized DEFAULT_LIST_SIZE, so a provider field added beneath one
 * later is not counted once for the whole list; anything else is free; a mutation without one
 * costs DEFAULT_MUTATION_CALLS.
 *
 * A subscription's estimate is what one event can cost: its selection is resolved once per event
 * (events/sharedExecution.ts), and a subscription that could exceed the limit per event is refused
 * when it starts (useQueryLimits' onSubscribe), never midway.
 *
 * A field's nested cost is multiplied by its items (a connection's page size applies to everything
 * below it). On an interface or union, the costliest possible type counts, since each object has
 * exactly one type. `@skip`/`@include` are honoured with the request's variables.
 */
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

/** What a field costs: calls of its own, and how many times its selection runs. */
export interface FieldCost {
  calls: number;
  items: number;
}

/** A field's declared cost: fixed, or from its arguments (coerced, defaults applied). */
type DeclaredCost = Partial<FieldCost> | ((args: Record<string, unknown>) => Partial<FieldCost>);

/** The field option that declares a field's provider calls: `extensions: providerCalls({ calls: 1 })`. */
export function providerCalls(cost: DeclaredCost): { providerCalls: DeclaredCost } {
  return { providerCalls: cost };
}

/** What Pothos and our connections return when a page size is not given. */
export const DEFAULT_LIST_SIZE = 20;
/** A mutation added later without a declaration still costs something. */
const DEFAULT_MUTATION_CALLS = 3;

/** A connection's page size from `first`/`last`: what the resolver will fetch, at most `max`. */
export function pageSize(args: Record<string, unknown>, max = Number.POSITIVE_INFINITY): number {
  const first = args.first ?? args.last;
  const size = typeof first === 'number' && Number.isFinite(first) ? first : DEFAULT_LIST_SIZE;
  return Math.min(Math.max(size, 0), max);
}

function fieldCost(
  parent: GraphQLObjectType,
  field: GraphQLField<unknown, unknown>,
  args: Record<string, unknown>,
  schema: GraphQLSchema,
): FieldCost {
  const declared = field.extensions.providerCalls as DeclaredCost | undefined;
  if (declared) {
    const cost = typeof declared === 'function' ? declared(args) : declared;
    return { calls: cost.calls ?? 0, items: cost.items ?? 1 };
  }
  if (parent === schema.getMutationType()) return { calls: DEFAULT_MUTATION_CALLS, items: 1 };
  // The connection field counted its page already; its edges are that page, not another list.
  if (parent.name.endsWith('Connection') && field.name === 'edges') return { calls: 0, items: 1 };
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

import { RequestCache } from '@pothos/plugin-scope-auth';
import {
  createSourceEventStream,
  type DocumentNode,
  type ExecutionArgs,
  type ExecutionResult,
  execute,
  getOperationAST,
  Kind,
  visit,
} from 'graphql';
import { isAsyncIterable, type Plugin } from 'graphql-yoga';
import type { Context, Viewer } from '../context.js';
import { createLoaders, type Loaders } from '../loaders.js';
import { traceDelivery } from '../tracing/index.js';
import { StatusSubscription } from './statusSubscription.js';
import { graphqlWsOperationOf, joinSubscriberGroup } from './subscriberGroups.js';

/**
 * One execution per subscriber group and event, one fetch per event.
 *
 * graphql-js executes a subscription's selection once per subscriber and event. Here a source
 * event the log handed to every subscriber as the same object is executed once per *group* (same
 * document, operation, variables and authorization scope: `subscriberGroupKey`), and every member
 * receives that one result object, serialized once (`serializedResult`). graphql-ws subscribers of
 * live status go further (events/subscriberGroups.ts): their group listens to the log once, and
 * per member only writes the frame. Other subscriptions (SSE) keep their own source stream (its
 * filter, replay and buffer: events/subscription.ts) and map it through the group's execution:
 * Yoga's SSE uses a result's `stringify`, and websocket.ts splices the same text into a frame.
 *
 * Nested provider fields of an event resolve through loaders that belong to the event
 * (`EventScope`): created when the event is first executed, i.e. after it was recorded, shared by
 * every group, dropped with the event. So an event costs the same provider calls with 1 or 10,000
 * subscribers, and never reads a cache older than the event.
 *
 * A group's execution runs with the context of a member (the one that needed the event first, or
 * the group's first member), only its loaders replaced: the viewer's scopes are the same for every
 * member (they are in the key), and an unexpected error is logged under that member's request ID.
 */
class EventScope {
  private loaders: Loaders | undefined;
  /** Per group key: the one execution of this event for that group. */
  readonly results = new Map<string, Promise<ExecutionResult>>();

  loadersFor(context: Context): Loaders {
    this.loaders ??= createLoaders(context.services, { fresh: true });
    return this.loaders;
  }
}

/** Keyed by the source event object, so only what every subscriber shares is shared. */
const scopes = new WeakMap<object, EventScope>();

function scopeOf(event: object): EventScope {
  let scope = scopes.get(event);
  if (!scope) {
    scope = new EventScope();
    scopes.set(event, scope);
  }
  return scope;
}

const documentIds = new WeakMap<DocumentNode, number>();
let nextDocumentId = 0;

/** Yoga's parse cache hands the same DocumentNode to every request with the same query text. */
function documentId(document: DocumentNode): number {
  let id = documentIds.get(document);
  if (id === undefined) {
    id = nextDocumentId++;
    documentIds.set(document, id);
  }
  return id;
}

/** JSON with object keys sorted, so `{a,b}` and `{b,a}` variables fall into one group. */
function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/**
 * What decides what a viewer may see: its scopes and its tenant. Two viewers with the same scopes
 * and tenant get the same result from every field, so they may share an execution.
 */
export function authorizationScopeOf(viewer: Viewer): string {
  return `${[...viewer.scopes].sort().join(' ')}\u0000${viewer.tenant ?? ''}`;
}

/** The argument of a subscription field that positions a subscriber in the log. */
const RESUME_ARGUMENT = 'after';
const positionVariables = new WeakMap<DocumentNode, Map<string, ReadonlySet<string>>>();

/**
 * The variables a document uses only as a root field's `after`: they decide where a subscriber's
 * events start, not what an event executes to, so subscribers that differ only in them share a
 * group (a resuming subscriber replays on its own, then takes the group's events).
 */
function positionOnlyVariables(document: DocumentNode, operationName: string): ReadonlySet<string> {
  const byOperation = positionVariables.get(document) ?? new Map<string, ReadonlySet<string>>();
  positionVariables.set(document, byOperation);
  let names = byOperation.get(operationName);
  if (names) return names;
  const asAfter = new Set<string>();
  for (const selection of getOperationAST(document, operationName || null)?.selectionSet.selections ?? []) {
    if (selection.kind !== Kind.FIELD) continue;
    for (const argument of selection.arguments ?? []) {
      if (argument.name.value === RESUME_ARGUMENT && argument.value.kind === Kind.VARIABLE) {
        asAfter.add(argument.value.name.value);
      }
    }
  }
  const uses = new Map<string, number>();
  visit(document, {
    VariableDefinition: () => false,
    Variable: (node) => {
      uses.set(node.name.value, (uses.get(node.name.value) ?? 0) + 1);
    },
  });
  names = new Set([...asAfter].filter((name) => uses.get(name) === 1));
  byOperation.set(operationName, names);
  return names;
}

/** Subscribers with equal keys would compute equal results for the same event. */
export function subscriberGroupKey(args: ExecutionArgs): string {
  const viewer = (args.contextValue as Context).viewer;
  const positionOnly = positionOnlyVariables(args.document, args.operationName ?? '');
  const variables = Object.fromEntries(
    Object.entries(args.variableValues ?? {}).filter(([name]) => !positionOnly.has(name)),
  );
  return [
    documentId(args.document),
    args.operationName ?? '',
    stableJson(variables),
    authorizationScopeOf(viewer),
  ].join('\u0000');
}

/** The memoized serializer of each shared result. */
const serializers = new WeakMap<object, () => string>();

/**
 * The JSON text of a shared result, computed once however many subscribers receive it; null for a
 * result that is not shared.
 */
export function serializedResult(result: object): string | null {
  return serializers.get(result)?.() ?? null;
}

/** Marks a group's result as shared. One with errors is not: each transport formats errors its own way. */
function share(result: ExecutionResult): ExecutionResult {
  if (result.errors) return result;
  let text: string | undefined;
  const stringify = () => {
    text ??= JSON.stringify(result);
    return text;
  };
  // Yoga's SSE processor serializes a result with the result's own `stringify` when it has one.
  Object.defineProperty(result, 'stringify', { value: stringify, enumerable: false });
  serializers.set(result, stringify);
  return result;
}

/** The group's result for `event`: executed by the first member that needs it, reused by the rest. */
function groupResult(event: unknown, args: ExecutionArgs, key: string): Promise<ExecutionResult> {
  if (event === null || typeof event !== 'object') {
    return Promise.resolve(execute({ ...args, rootValue: event }));
  }
  const scope = scopeOf(event);
  let result = scope.results.get(key);
  if (!result) {
    const context = args.contextValue as Context;
    // The member's context, but the event's loaders (a prototype link: nothing is copied).
    const contextValue = Object.create(context, { loaders: { value: scope.loadersFor(context) } });
    // With tracing on, a span under the event's publish span, linked to the subscription's trace.
    result = traceDelivery(event, context, () =>
      Promise.resolve(execute({ ...args, rootValue: event, contextValue })).then(share),
    );
    scope.results.set(key, result);
  }
  return result;
}

/** Deliveries the fan-out hands on per turn of the event loop (see takeTurn). */
const DELIVERIES_PER_TURN = 100;
let turnBudget = DELIVERIES_PER_TURN;
let budgetReset = false;
const waiting: (() => void)[] = [];

function nextTurn(): void {
  turnBudget = DELIVERIES_PER_TURN;
  for (const release of waiting.splice(0, DELIVERIES_PER_TURN)) {
    turnBudget -= 1;
    release();
  }
  if (waiting.length > 0) setImmediate(nextTurn);
  else budgetReset = false;
}

/**
 * Fan-out in turns: once a group's result is ready, every subscriber's delivery (its iterator
 * chain, the write) would otherwise run in one unbroken run of microtasks, and HTTP queries and
 * webhooks would wait behind all of it. At most DELIVERIES_PER_TURN deliveries run per turn of the
 * event loop; the rest wait, in order, for the next turns (setImmediate: I/O is polled in between).
 * Returns undefined when the delivery may go on at once.
 */
function takeTurn(): Promise<void> | undefined {
  if (!budgetReset) {
    budgetReset = true;
    setImmediate(nextTurn);
  }
  if (turnBudget > 0 && waiting.length === 0) {
    turnBudget -= 1;
    return undefined;
  }
  return new Promise((resolve) => waiting.push(resolve));
}

async function deliverable(event: unknown, args: ExecutionArgs, key: string): Promise<ExecutionResult> {
  const result = await groupResult(event, args, key);
  const turn = takeTurn();
  if (turn) await turn;
  return result;
}

/**
 * A subscriber's source events as its group's results (what graphql-js's own mapping of a source
 * stream does, with the group's execution). A class rather than closures: every idle
 * subscription keeps one.
 */
class GroupResults implements AsyncIterableIterator<ExecutionResult> {
  constructor(
    private readonly source: AsyncIterator<unknown>,
    private readonly args: ExecutionArgs,
    private readonly key: string,
  ) {}

  // Promise chains rather than an async function: a suspended one keeps a frame per idle subscriber.
  next(): Promise<IteratorResult<ExecutionResult>> {
    return this.source
      .next()
      .then((next): Promise<IteratorResult<ExecutionResult>> | IteratorResult<ExecutionResult> =>
        next.done
          ? { value: undefined, done: true }
          : deliverable(next.value, this.args, this.key).then(
              (value): IteratorResult<ExecutionResult> => ({ value, done: false }),
              // An execution that failed outright ends the subscription, and its source with it.
              async (error: unknown) => {
                await this.source.return?.();
                throw error;
              },
            ),
      );
  }

  async return(): Promise<IteratorResult<ExecutionResult>> {
    await this.source.return?.();
    return { value: undefined, done: true };
  }

  async throw(error?: unknown): Promise<IteratorResult<ExecutionResult>> {
    await this.source.return?.();
    throw error;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}

/**
 * The envelop plugin: replaces `subscribe` with one that maps each source event through the
 * group's shared execution. Everything around it is unchanged: parse, validation, the context
 * factory, query limits and error masking run per subscriber, as for any operation.
 */
export function useSharedSubscriptionExecution(): Plugin {
  return {
    onSubscribe({ setSubscribeFn }) {
      setSubscribeFn(async (args: ExecutionArgs) => {
        const stream = await createSourceEventStream(args);
        if (!isAsyncIterable(stream)) return stream as ExecutionResult;
        // The subscriber's own context has authorized the subscription; its events execute with
        // contexts derived from it (groupResult), which get caches of their own. Pothos' cache of
        // granted scopes for this one (six Maps) would otherwise live as long as the subscription.
        RequestCache.clearForContext(args.contextValue as object);
        const key = subscriberGroupKey(args);
        const operation = graphqlWsOperationOf(args.contextValue as object);
        const source =
          stream instanceof StatusSubscription && operation
            ? joinSubscriberGroup(key, stream, operation, (event) =>
                groupResult(event, args, key).then(serializedResult),
              )
            : (stream as AsyncIterable<unknown>)[Symbol.asyncIterator]();
        return new GroupResults(source, args, key);
      });
    },
  };
}

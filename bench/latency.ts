import { performance } from 'node:perf_hooks';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { parse } from 'graphql';
import { ChargeDocument } from '../test/generated/graphql.js';
import { execute } from '../test/support/client.js';
import { now, openSubscribers, type TrackedEvent, Tracker } from './fanout.js';
import {
  cpuSeconds,
  type GatewayProcess,
  machineCpuSeconds,
  memoryKiB,
  startGatewayProcess,
} from './gateway.js';
import { type Summary, sleep, summarize } from './stats.js';
import { type BenchCharge, createCharge, postElepayWebhook, settleCharge } from './traffic.js';

/**
 * Scenario 1: one gateway, `connections` × `perConnection` subscribers. Status changes one at a
 * time (A), then settles sent open-loop at a rate the gateway sustains (B) and at one it cannot (C).
 */
export interface LatencyOptions {
  connections: number;
  perConnection: number;
  /** A: charges driven one at a time, each giving a webhook event (PENDING) and a settle event (SUCCEEDED). */
  sequentialCharges: number;
  /**
   * Changes made one at a time before A and not measured (each a webhook and a settle, like A's), so
   * that A measures the gateway's steady state rather than its code still being compiled.
   */
  warmUpCharges: number;
  /** B and C: charges settled open-loop at `rate` per second. */
  steady: { charges: number; rate: number };
  overload: { charges: number; rate: number };
  /** The checkout to run (default: this one; bench/run.ts may pass a reference). */
  root?: string;
}

export interface PhaseResult {
  events: number;
  /** Every (event, subscriber) receipt: t0 → that subscriber has it. */
  receipts: Summary;
  /** Per event: t0 → the first subscriber has it. */
  firstSubscriber: Summary;
  /** Per event: t0 → the last subscriber has it. */
  lastSubscriber: Summary;
  /** First t0 → last receipt. */
  windowMs: number;
  eventsPerSecond: number;
  deliveriesPerSecond: number;
  /** CPU used during the phase, in % of one core. */
  gatewayCpu: number;
  benchCpu: number;
  /** Every other process on the machine (other jobs compete for the same CPUs). */
  otherCpu: number;
  /** Achieved send rate (rate phases). */
  sendRate: number;
  /** Gateway warnings logged during the phase. */
  warnings: [string, number][];
  /** Response time of the triggering requests (webhook POST or settle mutation). */
  requests: Summary;
  /**
   * Response times of queries sent one after another while the phase ran, alternately: `{
   * __typename }` (no provider call: the gateway's own responsiveness) and `charge(id: "ch_1")`
   * (one provider call, which queues behind the phase's own settles and webhook fetches).
   */
  queries: Summary;
  providerQueries: Summary;
}

export interface LatencyResult {
  options: LatencyOptions;
  subscribers: number;
  connectMs: number;
  confirmAttempts: number;
  webhook: PhaseResult;
  settle: PhaseResult;
  steady: PhaseResult;
  overload: PhaseResult;
  integrity: {
    expected: number;
    delivered: number;
    lost: number;
    duplicates: number;
    unexpected: number;
    errors: string[];
    completedEarly: number;
  };
  gatewayRssKiB: number;
}

/** Proves every subscription is live: one event must reach all of them (a few tries while they settle). */
export async function confirmSubscribers(url: string, tracker: Tracker, timeoutMs: number): Promise<number> {
  for (let attempt = 1; attempt <= 3; attempt++) {
    const charge = await createCharge(url);
    const event = tracker.track(`${charge.id}|PENDING`);
    await postElepayWebhook(url, charge);
    if (await tracker.waitAll(event, timeoutMs)) return attempt;
    console.warn(`  warm-up ${attempt}: ${event.received}/${tracker.size} subscribers got it; retrying`);
  }
  throw new Error('subscriptions never all became live');
}

interface Usage {
  gateway: number;
  bench: number;
  machine: number;
  wallMs: number;
  logs: Map<string, number>;
}

function usage(gateway: GatewayProcess): Usage {
  const { user, system } = process.cpuUsage();
  return {
    gateway: cpuSeconds(gateway.pid),
    bench: (user + system) / 1e6,
    machine: machineCpuSeconds(),
    wallMs: performance.now(),
    logs: new Map(gateway.logCounts),
  };
}

function phase(
  events: TrackedEvent[],
  requests: number[],
  size: number,
  gateway: GatewayProcess,
  since: Usage,
  probe: Probe = { queries: [], providerQueries: [] },
): PhaseResult {
  const now = usage(gateway);
  const seconds = (now.wallMs - since.wallMs) / 1000;
  const receipts: number[] = [];
  const first: number[] = [];
  const last: number[] = [];
  let end = 0;
  let delivered = 0;
  for (const event of events) {
    let earliest = Number.POSITIVE_INFINITY;
    let latest = 0;
    for (let s = 0; s < size; s++) {
      const at = event.times[s] ?? 0;
      if (at === 0) continue;
      receipts.push(at - event.t0);
      earliest = Math.min(earliest, at);
      latest = Math.max(latest, at);
    }
    if (event.received > 0) first.push(earliest - event.t0);
    if (event.received === size) last.push(latest - event.t0);
    end = Math.max(end, latest);
    delivered += event.received;
  }
  const start = events[0]?.t0 ?? 0;
  const lastSent = events.at(-1)?.t0 ?? start;
  const windowMs = end - start;
  return {
    events: events.length,
    receipts: summarize(receipts),
    firstSubscriber: summarize(first),
    lastSubscriber: summarize(last),
    requests: summarize(requests),
    queries: summarize(probe.queries),
    providerQueries: summarize(probe.providerQueries),
    windowMs,
    eventsPerSecond: (events.length * 1000) / windowMs,
    deliveriesPerSecond: (delivered * 1000) / windowMs,
    gatewayCpu: ((now.gateway - since.gateway) / seconds) * 100,
    benchCpu: ((now.bench - since.bench) / seconds) * 100,
    otherCpu:
      ((now.machine - since.machine - (now.gateway - since.gateway) - (now.bench - since.bench)) / seconds) *
      100,
    sendRate: lastSent > start ? ((events.length - 1) * 1000) / (lastSent - start) : NaN,
    warnings: [...now.logs]
      .map(([msg, n]): [string, number] => [msg, n - (since.logs.get(msg) ?? 0)])
      .filter(([, n]) => n > 0),
  };
}

/** Settles `charges` open-loop, one every 1/rate s, without waiting for deliveries in between. */
async function settleAtRate(
  url: string,
  tracker: Tracker,
  charges: BenchCharge[],
  rate: number,
  timeoutMs: number,
): Promise<{ events: TrackedEvent[]; requests: number[] }> {
  const events: TrackedEvent[] = [];
  const sends: Promise<number>[] = [];
  const start = performance.now();
  for (const [i, charge] of charges.entries()) {
    const due = start + (i * 1000) / rate;
    if (due > performance.now()) await sleep(due - performance.now());
    const event = tracker.track(`${charge.id}|SUCCEEDED`);
    event.t0 = now();
    events.push(event);
    const sent = event.t0;
    sends.push(settleCharge(url, charge).then(() => now() - sent));
  }
  const requests = await Promise.all(sends);
  await Promise.all(events.map((event) => tracker.waitAll(event, timeoutMs)));
  return { events, requests };
}

async function createCharges(url: string, count: number): Promise<BenchCharge[]> {
  const charges: BenchCharge[] = [];
  while (charges.length < count) {
    const batch = Math.min(10, count - charges.length);
    charges.push(...(await Promise.all(Array.from({ length: batch }, () => createCharge(url)))));
  }
  return charges;
}

interface Probe {
  queries: number[];
  providerQueries: number[];
}

const TYPENAME = parse('{ __typename }') as TypedDocumentNode<{ __typename: string }, Record<string, never>>;

/**
 * A client querying the API one request after another until `done` settles, alternating a query
 * without and one with a provider call: their response times show whether fan-out starves HTTP.
 */
async function probeQueries(url: string, done: Promise<unknown>): Promise<Probe> {
  const probe: Probe = { queries: [], providerQueries: [] };
  let finished = false;
  void done.finally(() => {
    finished = true;
  });
  while (!finished) {
    for (const [times, run] of [
      [probe.queries, () => execute(url, TYPENAME, {})],
      [probe.providerQueries, () => execute(url, ChargeDocument, { id: 'ch_1' })],
    ] as const) {
      const t0 = performance.now();
      const { errors } = await run();
      if (errors.length > 0) throw new Error(`probe query failed: ${JSON.stringify(errors)}`);
      times.push(performance.now() - t0);
      await sleep(10);
    }
  }
  return probe;
}

export async function runLatency(options: LatencyOptions): Promise<LatencyResult> {
  const gateway = await startGatewayProcess(options.root);
  try {
    const { url, pid } = gateway;
    const size = options.connections * options.perConnection;
    const tracker = new Tracker(size);
    const pool = await openSubscribers(url, tracker, options.connections, options.perConnection);
    const confirmAttempts = await confirmSubscribers(url, tracker, 15_000);
    console.log(`  ${size} subscriptions live on ${options.connections} sockets`);
    for (let i = 0; i < options.warmUpCharges; i++) {
      const charge = await createCharge(url);
      const pending = tracker.track(`${charge.id}|PENDING`);
      await postElepayWebhook(url, charge);
      await tracker.waitAll(pending, 10_000);
      const succeeded = tracker.track(`${charge.id}|SUCCEEDED`);
      await settleCharge(url, charge);
      await tracker.waitAll(succeeded, 10_000);
    }

    // A: one change at a time, each waited for by every subscriber before the next.
    const webhookEvents: TrackedEvent[] = [];
    const settleEvents: TrackedEvent[] = [];
    const webhookAnswered: number[] = [];
    const settleAnswered: number[] = [];
    const a = usage(gateway);
    for (let i = 0; i < options.sequentialCharges; i++) {
      const charge = await createCharge(url);
      const pending = tracker.track(`${charge.id}|PENDING`);
      pending.t0 = now();
      const published = await postElepayWebhook(url, charge);
      webhookAnswered.push(now() - pending.t0);
      if (published !== 1) throw new Error(`webhook published ${published} events, expected 1`);
      await tracker.waitAll(pending, 10_000);
      webhookEvents.push(pending);
      const succeeded = tracker.track(`${charge.id}|SUCCEEDED`);
      succeeded.t0 = now();
      await settleCharge(url, charge);
      settleAnswered.push(now() - succeeded.t0);
      await tracker.waitAll(succeeded, 10_000);
      settleEvents.push(succeeded);
    }
    const webhook = phase(webhookEvents, webhookAnswered, size, gateway, a);
    const settle = phase(settleEvents, settleAnswered, size, gateway, a);
    console.log(`  A sequential: ${options.sequentialCharges} charges done`);

    let charges = await createCharges(url, options.steady.charges);
    const b = usage(gateway);
    const { events: steadyEvents, requests: steadyRequests } = await settleAtRate(
      url,
      tracker,
      charges,
      options.steady.rate,
      10_000,
    );
    const steady = phase(steadyEvents, steadyRequests, size, gateway, b);
    console.log(`  B ${options.steady.rate}/s: ${charges.length} settles done`);

    charges = await createCharges(url, options.overload.charges);
    await sleep(1_000);
    const c = usage(gateway);
    const saturating = settleAtRate(url, tracker, charges, options.overload.rate, 60_000);
    const probed = probeQueries(url, saturating);
    const { events: overloadEvents, requests: overloadRequests } = await saturating;
    const overload = phase(overloadEvents, overloadRequests, size, gateway, c, await probed);
    console.log(`  C ${options.overload.rate}/s: ${charges.length} settles done`);

    await sleep(500); // let any late duplicate arrive before counting
    const all = [...webhookEvents, ...settleEvents, ...steadyEvents, ...overloadEvents];
    const delivered = all.reduce((sum, event) => sum + event.received, 0);
    const result: LatencyResult = {
      options,
      subscribers: size,
      connectMs: pool.connectMs,
      confirmAttempts,
      webhook,
      settle,
      steady,
      overload,
      integrity: {
        expected: all.length * size,
        delivered,
        lost: all.length * size - delivered,
        duplicates: tracker.duplicates,
        unexpected: tracker.unexpected,
        errors: tracker.errors.slice(0, 5),
        completedEarly: tracker.completed,
      },
      gatewayRssKiB: memoryKiB(pid).rss,
    };
    await pool.close();
    return result;
  } finally {
    await gateway.stop();
  }
}

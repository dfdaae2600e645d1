/**
 * How far V8 lets the old generation grow past what the last full collection left alive before it
 * collects again. On a machine with memory to spare V8 allows up to 4×: under steady load that was
 * about 115 MiB of old space around 30 MiB alive, and a peak RSS near 260 MiB (bench:gateway).
 * At 1.5× the peak stays near 165 MiB, for CPU within the bench's noise: full collections are a
 * small part of the gateway's GC time (nearly all of it goes to young-generation scavenges, which
 * this leaves alone), and 1.5× makes them about twice as frequent as 2× did. A larger live set
 * (thousands of subscriptions) grows its allowance with it.
 *
 * Set here rather than as a `node` flag, so every way of starting the gateway (the Dockerfile,
 * `npm start`, a process manager) has it; V8 reads it at each full collection. An operator's own
 * `node --heap-growing-percent=…` wins.
 */

import { setFlagsFromString } from 'node:v8';

const HEAP_GROWING_PERCENT = 50;

if (!process.execArgv.some((arg) => arg.startsWith('--heap-growing-percent'))) {
  setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
}

// Preloaded into the gateway by the memory scenario (bench/memory.ts), with --expose-gc: SIGUSR2
// runs a full garbage collection, so that RSS is sampled without the garbage of what came before.
process.on('SIGUSR2', () => globalThis.gc?.());

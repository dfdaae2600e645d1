import { appendFileSync } from 'node:fs';

/** Module resolution hooks for recordModuleLoads.ts: one line per module URL the process imports. */
let file = '';

export function initialize(data) {
  file = data.file;
}

export async function resolve(specifier, context, nextResolve) {
  const resolved = await nextResolve(specifier, context);
  appendFileSync(file, `${resolved.url}\n`);
  return resolved;
}

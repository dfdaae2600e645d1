import { register } from 'node:module';

/**
 * Preloaded into a gateway child process (`node --import`): appends the URL of every module the
 * process imports to the file named by MODULE_LOG, so a test can see from outside what was loaded.
 * The hooks run on Node's loader thread (moduleLoadHooks.mjs).
 */
const file = process.env.MODULE_LOG;
if (!file) throw new Error('recordModuleLoads: set MODULE_LOG to the file to append to');
register('./moduleLoadHooks.mjs', import.meta.url, { data: { file } });

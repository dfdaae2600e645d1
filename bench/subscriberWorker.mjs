// A worker thread does not inherit tsx's loader: this entry registers it, then runs the TypeScript.
import { register } from 'tsx/esm/api';

register();
await import('./subscriberWorker.ts');

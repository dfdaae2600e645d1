/**
 * How the simulators refuse a request: authentication, validation and the state machines throw
 * the provider's own error, and the HTTP shell (server.ts) catches it in one place and answers with
 * that provider's error body. Throwing rather than returning replies lets a rule deep inside a
 * state machine refuse without every caller passing the refusal up, so handlers read as the happy
 * path; anything else thrown is a simulator bug and answers 500.
 */

import type { SandboxReply } from './server.js';

export abstract class ProviderError extends Error {
  /**
   * The reply. `helperRoute` is true for `/_sandbox/...` routes, which are not the provider's and
   * may answer with honest HTTP statuses where the provider uses a blanket one.
   */
  abstract toReply(helperRoute: boolean): SandboxReply;
}

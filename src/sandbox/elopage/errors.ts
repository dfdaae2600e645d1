import type { SandboxReply } from '../server.js';

/**
 * The simulator's error bodies (providers/elopage.md, Conventions: Errors). The document names
 * `UserNotFound` and `NoAccessRight` without a shape; the others are our own, in the same style.
 * Messages never contain request values, so credentials cannot leak through them.
 */
export function userNotFound(): SandboxReply {
  return { status: 401, body: { error: 'UserNotFound', message: 'The key of the user was not found.' } };
}

export function noAccessRight(): SandboxReply {
  return {
    status: 403,
    body: { error: 'NoAccessRight', message: 'Only authenticated sellers can access the data.' },
  };
}

export function notFound(message: string): SandboxReply {
  return { status: 404, body: { error: 'NotFound', message } };
}

export function invalidState(message: string): SandboxReply {
  return { status: 409, body: { error: 'InvalidState', message } };
}

/** Collects field errors under dotted paths (`pricing_plans.0.preferences.price`). */
export class Issues {
  readonly errors: Record<string, string[]> = {};

  add(path: string, message: string): void {
    const list = this.errors[path] ?? [];
    list.push(message);
    this.errors[path] = list;
  }

  get ok(): boolean {
    return Object.keys(this.errors).length === 0;
  }

  reply(): SandboxReply {
    return validationError(this.errors);
  }
}

export function validationError(errors: Record<string, string[]>): SandboxReply {
  const summary = Object.entries(errors)
    .map(([path, messages]) => `${path} ${messages.join(', ')}`)
    .join('; ');
  return {
    status: 422,
    body: { error: 'ValidationError', message: `Validation failed: ${summary}`, errors },
  };
}

export function singleValidationError(path: string, message: string): SandboxReply {
  return validationError({ [path]: [message] });
}

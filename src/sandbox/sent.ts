import type { LosslessNumber } from 'lossless-json';

/**
 * Ties what a simulator sends to what the gateway reads. The gateway parses provider JSON exactly
 * (providers/json.ts): a JSON number arrives as its digits, so a wire field typed as text is filled
 * alike by a JSON number (`jsonNumber`) or a string. `Sent<W>` is wire type `W` as a simulator
 * writes it: a render function typed `(…) => Sent<W>` stops compiling when a field it writes is
 * renamed or dropped in `W`, or when a field `W` requires is missing. Literal types (`'event'`)
 * stay literal.
 */
export type Sent<T> = T extends string
  ? string extends T
    ? string | LosslessNumber
    : T
  : T extends readonly (infer E)[]
    ? Sent<E>[]
    : T extends object
      ? { [K in keyof T]: Sent<T[K]> }
      : T;

/**
 * Provider JSON is parsed so that no decimal digit is lost: every JSON number becomes a string
 * holding its exact text. elopage sends the same decimal as `199.9` in one place and `"199.9"`
 * in another (providers/elopage.md, Numbers); after this parse both read the same.
 */
import { LosslessNumber, parse, stringify } from 'lossless-json';

export function parseExactJson(text: string): unknown {
  return parse(text, null, (digits) => digits);
}

/** A JSON number written from exact text (an integer amount, a p_count) — never via a float. */
export function jsonNumber(text: string): LosslessNumber {
  return new LosslessNumber(text);
}

/** Serializes a body that may hold `jsonNumber`s. */
export function stringifyExactJson(value: unknown): string {
  return stringify(value) ?? 'null';
}

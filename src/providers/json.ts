/**
 * Provider JSON is parsed so that no decimal digit is lost: every JSON number becomes a string
 * holding its exact text. elopage sends the same decimal as `199.9` in one place and `"199.9"`
 * in another (providers/elopage.md, Numbers); after this parse both read the same.
 */
import { LosslessNumber, stringify } from 'lossless-json';

/**
 * A JSON string token, or a JSON number token (captured). Every number outside a string is turned
 * into a string of its own text before the native parser sees it, so `JSON.parse` (about twice as
 * fast as lossless-json's parser, written in JavaScript; a provider answer is parsed on every read)
 * never makes a float. Quoting keeps invalid JSON invalid: a number becomes a string only where a value
 * may stand (never before a `:`, where a key must be a string), and text that is not a number token
 * (`01`, `1.`, `+1`) is left as it is, to fail.
 */
const STRING_OR_NUMBER =
  /"[^"\\]*(?:\\.[^"\\]*)*"|(-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?)(?![ \t\n\r]*:)/g;

export function parseExactJson(text: string): unknown {
  return JSON.parse(
    text.replace(STRING_OR_NUMBER, (token, number: string | undefined) =>
      number === undefined ? token : `"${number}"`,
    ),
  );
}

/** A JSON number written from exact text (an integer amount, a p_count) — never via a float. */
export function jsonNumber(text: string): LosslessNumber {
  return new LosslessNumber(text);
}

/** Serializes a body that may hold `jsonNumber`s. */
export function stringifyExactJson(value: unknown): string {
  return stringify(value) ?? 'null';
}

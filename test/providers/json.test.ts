import { parse as losslessParse } from 'lossless-json';
import { describe, expect, it } from 'vitest';
import { parseExactJson } from '../../src/providers/json.js';

/** lossless-json, asked for every number's exact text: what parseExactJson must agree with. */
const oracle = (text: string) => losslessParse(text, null, (digits) => digits);

/** A small deterministic PRNG (mulberry32), so a failing document can be found again by its seed. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const NUMBERS = [
  '0',
  '-0',
  '7',
  '199.9',
  '193.85',
  '-6.05',
  '1e5',
  '1E+05',
  '2.5e-3',
  '12345678901234567890.123456789',
];
const STRINGS = [
  '',
  'a',
  '199.9',
  'say \\"12\\"',
  'back\\\\slash 3',
  'tab\\t9',
  'u\\u00e9 1',
  'colon: 4',
  '{\\"x\\": 1}',
];
const space = (next: () => number) => [' ', '', '\n', '\t', '\r\n '][Math.floor(next() * 5)] ?? '';

/** A random JSON text, written by hand so its numbers keep the spellings above. */
function document(next: () => number, depth = 0): string {
  const pick = <T>(items: T[]) => items[Math.floor(next() * items.length)] as T;
  const kind = depth > 3 ? Math.floor(next() * 4) : Math.floor(next() * 6);
  if (kind === 0) return pick(NUMBERS);
  if (kind === 1) return `"${pick(STRINGS)}"`;
  if (kind === 2) return pick(['true', 'false', 'null']);
  if (kind === 3) return `"${pick(NUMBERS)}"`;
  const size = Math.floor(next() * 4);
  const items = Array.from({ length: size }, (_, i) =>
    kind === 4
      ? `${space(next)}${document(next, depth + 1)}${space(next)}`
      : `${space(next)}"${pick(STRINGS)}${i}"${space(next)}:${space(next)}${document(next, depth + 1)}`,
  );
  return kind === 4 ? `[${items.join(',')}]` : `{${items.join(',')}}`;
}

describe('parseExactJson', () => {
  it('keeps every number as its exact text, however it is spelled', () => {
    expect(
      parseExactJson('{"revenue": 199.90, "big": 12345678901234567890.123456789, "e": 1E+05, "z": -0}'),
    ).toEqual({
      revenue: '199.90',
      big: '12345678901234567890.123456789',
      e: '1E+05',
      z: '-0',
    });
  });

  it('leaves strings alone, digits, quotes and escapes included', () => {
    expect(parseExactJson('["199.9", "say \\"12\\" 3", "a\\\\", 4, "x: 5"]')).toEqual([
      '199.9',
      'say "12" 3',
      'a\\',
      '4',
      'x: 5',
    ]);
  });

  it('agrees with a JavaScript lossless parser on 2,000 random documents', () => {
    for (let seed = 1; seed <= 2000; seed++) {
      const text = document(random(seed));
      expect({ seed, value: parseExactJson(text) }).toEqual({ seed, value: oracle(text) });
    }
  });

  it.each([
    '01',
    '1.',
    '.5',
    '+1',
    '-',
    '1e',
    '{1: 2}',
    '{"a" 1}',
    '[1 2]',
    '{"a": 01}',
    '"unterminated',
    '{"a": "b"',
    '',
    'NaN',
    '[1,]',
  ])('rejects invalid JSON %j, as the native parser would', (text) => {
    expect(() => parseExactJson(text)).toThrow(SyntaxError);
    expect(() => oracle(text)).toThrow();
  });
});

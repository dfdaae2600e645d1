import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderApiDocs } from '../scripts/apiDocs.js';
import { schema } from '../src/graphql/schema.js';

const read = (path: string) => readFileSync(new URL(`../${path}`, import.meta.url), 'utf8');

describe('docs/api.md', () => {
  it('is the conventions plus the reference generated from the schema (run `npm run docs` when this fails)', () => {
    expect(read('docs/api.md')).toBe(renderApiDocs(schema));
  });

  it('documents every operation and the conventions, and the README links it', () => {
    const docs = read('docs/api.md');
    for (const heading of [
      '## Conventions',
      '**IDs.**',
      '**Money.**',
      '**Errors.**',
      '**Statuses.**',
      '**Idempotency.**',
      '**Scopes.**',
    ]) {
      expect(docs).toContain(heading);
    }
    for (const root of [schema.getQueryType(), schema.getMutationType(), schema.getSubscriptionType()]) {
      for (const name of Object.keys(root?.getFields() ?? {})) expect(docs).toContain(`#### \`${name}`);
    }
    expect(read('README.md')).toContain('](docs/api.md)');
  });
});

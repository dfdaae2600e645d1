import { writeFileSync } from 'node:fs';
import { schema } from '../src/graphql/schema.js';
import { renderApiDocs } from './apiDocs.js';

/** Writes docs/api.md (test/schema.test.ts checks it is current). */
writeFileSync(new URL('../docs/api.md', import.meta.url), renderApiDocs(schema));

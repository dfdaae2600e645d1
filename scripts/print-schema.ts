import { writeFileSync } from 'node:fs';
import { printSchema } from 'graphql';
import { schema } from '../src/graphql/schema.js';

/** Writes schema/schema.graphql, the artifact frontend teams and codegen read (test/schema.test.ts checks it). */
writeFileSync(new URL('../schema/schema.graphql', import.meta.url), `${printSchema(schema)}\n`);

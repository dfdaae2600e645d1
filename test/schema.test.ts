import { readFileSync } from 'node:fs';
import { generate } from '@graphql-codegen/cli';
import { isEnumType, isInputObjectType, isInterfaceType, isObjectType, printSchema } from 'graphql';
import { describe, expect, it } from 'vitest';
import codegenConfig from '../codegen.js';
import { schema } from '../src/graphql/schema.js';

const read = (path: string) => readFileSync(new URL(`../${path}`, import.meta.url), 'utf8');

describe('schema artifacts', () => {
  it('schema/schema.graphql is the printed Pothos schema (run `npm run schema:print` when this fails)', () => {
    expect(read('schema/schema.graphql')).toBe(`${printSchema(schema)}\n`);
  });

  it('test/generated/graphql.ts matches the operations and schema (run `npm run codegen` when this fails)', async () => {
    const [output] = await generate(
      { ...codegenConfig, silent: true, cwd: new URL('..', import.meta.url).pathname },
      false,
    );
    expect(output?.filename).toBe('test/generated/graphql.ts');
    expect(output?.content).toBe(read('test/generated/graphql.ts'));
  });

  it('describes every type, field, argument and enum value (GraphiQL users read them)', () => {
    const missing: string[] = [];
    for (const type of Object.values(schema.getTypeMap())) {
      if (type.name.startsWith('__') || ['String', 'Boolean', 'Int', 'Float', 'ID'].includes(type.name))
        continue;
      if (!type.description) missing.push(type.name);
      if (isObjectType(type) || isInterfaceType(type)) {
        for (const field of Object.values(type.getFields())) {
          if (!field.description) missing.push(`${type.name}.${field.name}`);
          for (const arg of field.args)
            if (!arg.description) missing.push(`${type.name}.${field.name}(${arg.name})`);
        }
      }
      if (isInputObjectType(type)) {
        for (const field of Object.values(type.getFields()))
          if (!field.description) missing.push(`${type.name}.${field.name}`);
      }
      if (isEnumType(type)) {
        for (const value of type.getValues())
          if (!value.description) missing.push(`${type.name}.${value.name}`);
      }
    }
    expect(missing).toEqual([]);
  });
});

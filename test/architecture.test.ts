import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

/**
 * The layers of docs/architecture.md, enforced: every import in src/ is parsed (static, dynamic,
 * re-exports and `import type` alike) and checked against the rules below. A failure names the
 * importing file, the imported file and the rule it breaks.
 */
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

interface Edge {
  /** Importing and imported file, relative to the repository root (`src/graphql/schema.ts`). */
  from: string;
  to: string;
  /** `import type` / `export type`, or an `import()` type: erased, no runtime dependency. */
  typeOnly: boolean;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}

/** Every import of one file that points into the repository (packages are not layers). */
function importsOf(file: string): Edge[] {
  const source = ts.createSourceFile(file, readFileSync(join(ROOT, file), 'utf8'), ts.ScriptTarget.Latest);
  const edges: Edge[] = [];
  const add = (specifier: string, typeOnly: boolean) => {
    if (!specifier.startsWith('.')) return;
    const target = resolve(dirname(join(ROOT, file)), specifier).replace(/\.js$/, '.ts');
    edges.push({ from: file, to: relative(ROOT, target), typeOnly });
  };
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      const clause = node.importClause;
      const bindings = clause?.namedBindings;
      const everyNameTypeOnly =
        bindings !== undefined &&
        ts.isNamedImports(bindings) &&
        bindings.elements.length > 0 &&
        bindings.elements.every((element) => element.isTypeOnly) &&
        clause?.name === undefined;
      add(node.moduleSpecifier.text, Boolean(clause?.isTypeOnly) || everyNameTypeOnly);
    } else if (
      ts.isExportDeclaration(node) &&
      node.moduleSpecifier &&
      ts.isStringLiteral(node.moduleSpecifier)
    ) {
      add(node.moduleSpecifier.text, node.isTypeOnly);
    } else if (
      ts.isCallExpression(node) &&
      node.expression.kind === ts.SyntaxKind.ImportKeyword &&
      node.arguments[0] &&
      ts.isStringLiteral(node.arguments[0])
    ) {
      add(node.arguments[0].text, false);
    } else if (
      ts.isImportTypeNode(node) &&
      ts.isLiteralTypeNode(node.argument) &&
      ts.isStringLiteral(node.argument.literal)
    ) {
      add(node.argument.literal.text, true);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return edges;
}

const under = (dir: string) => (path: string) => path.startsWith(`src/${dir}/`);
const isDomain = under('domain');
const isProviders = under('providers');
const isServices = under('services');
const isGraphql = under('graphql');
const isEvents = under('events');
const isLedger = under('ledger');
const isSandbox = under('sandbox');
/** A provider's own folder (`src/providers/elepay/…`); null for the shared provider modules. */
const providerOf = (path: string) => /^src\/providers\/([^/]+)\//.exec(path)?.[1] ?? null;
/**
 * What the rest of the gateway may use of providers/: each provider's clients and webhook reader,
 * the HTTP client's read options, exact JSON. Wire types, schemas, mappers, request builders and
 * failure tables are the providers' own.
 */
const PUBLIC_PROVIDER_MODULES = /^src\/providers\/(http|json|[^/]+\/(client|sandbox|webhook))\.ts$/;
/** Leaf modules at src/ that any layer may use: logging and the size-limited body reader. */
const UTILITIES = new Set(['src/logger.ts', 'src/readBody.ts']);
/**
 * What the provider layer may use besides its own modules and domain/: the utilities and the two
 * observability hooks (metrics, and tracing's facade, which loads nothing of OpenTelemetry itself).
 */
const PROVIDER_MAY_USE = new Set([...UTILITIES, 'src/metrics.ts', 'src/tracing/index.ts']);

interface Rule {
  name: string;
  breaks: (edge: Edge) => boolean;
}

const RULES: Rule[] = [
  {
    name: 'domain/ depends on nothing of ours outside domain/',
    breaks: ({ from, to }) => isDomain(from) && !isDomain(to),
  },
  {
    name: 'providers/ sees only domain/, logging, metrics, the tracing hooks and the body reader (never services, GraphQL, events, context)',
    breaks: ({ from, to }) =>
      isProviders(from) && !isProviders(to) && !isDomain(to) && !PROVIDER_MAY_USE.has(to),
  },
  {
    name: 'the shared provider modules (http.ts …) sit below every provider, never above one',
    breaks: ({ from, to }) => isProviders(from) && providerOf(from) === null && providerOf(to) !== null,
  },
  {
    name: 'one provider never uses another',
    breaks: ({ from, to }) => {
      const a = providerOf(from);
      const b = providerOf(to);
      return a !== null && b !== null && a !== b;
    },
  },
  {
    name: 'outside providers/, only a provider’s clients, webhook reader, http.ts and json.ts are used (no wire.ts, map.ts, schemas)',
    breaks: ({ from, to, typeOnly }) => {
      if (isProviders(from) || !isProviders(to) || PUBLIC_PROVIDER_MODULES.test(to)) return false;
      // The simulators speak the wire: they type their answers with the gateway's wire types.
      return !(isSandbox(from) && typeOnly && /^src\/providers\/[^/]+\/wire\.ts$/.test(to));
    },
  },
  {
    name: 'services/ sit below the GraphQL layer and see no Yoga plugin, simulator or server',
    breaks: ({ from, to }) =>
      isServices(from) &&
      (isGraphql(to) ||
        under('plugins')(to) ||
        isSandbox(to) ||
        ['src/app.ts', 'src/websocket.ts'].includes(to)),
  },
  {
    name: 'GraphQL reaches providers only through services and loaders (no provider module at all)',
    breaks: ({ from, to }) => isGraphql(from) && isProviders(to),
  },
  {
    name: 'events/ sit beside services: no GraphQL types, no workflows',
    breaks: ({ from, to }) => isEvents(from) && (isGraphql(to) || isServices(to)),
  },
  {
    name: 'ledger/ sits beside services: domain values, the event log’s rules and interface, logging',
    breaks: ({ from, to }) =>
      isLedger(from) && !isLedger(to) && !isDomain(to) && !isEvents(to) && !UTILITIES.has(to),
  },
  {
    name: 'the simulators are separate: only gateway.ts starts them',
    breaks: ({ from, to }) => !isSandbox(from) && isSandbox(to) && from !== 'src/gateway.ts',
  },
  {
    name: 'the simulators use nothing of the gateway but domain values, the utilities and exact JSON',
    breaks: ({ from, to }) =>
      isSandbox(from) &&
      !isSandbox(to) &&
      !isDomain(to) &&
      !UTILITIES.has(to) &&
      to !== 'src/providers/json.ts' &&
      !/^src\/providers\/[^/]+\/wire\.ts$/.test(to),
  },
];

function violations(edges: Edge[]): string[] {
  return edges.flatMap((edge) =>
    RULES.filter((rule) => rule.breaks(edge)).map((rule) => `${edge.from} → ${edge.to}: ${rule.name}`),
  );
}

const edges = sourceFiles('src').flatMap(importsOf);

describe('layers (docs/architecture.md)', () => {
  it('reads the imports of every file in src/', () => {
    // The parser must see what is there, or the rules below would pass on nothing.
    expect(edges.length).toBeGreaterThan(300);
    expect(edges).toContainEqual({
      from: 'src/events/webhookIntake.ts',
      to: 'src/providers/elepay/webhook.ts',
      typeOnly: false,
    });
    expect(edges).toContainEqual({
      from: 'src/context.ts',
      to: 'src/providers/elepay/client.ts',
      typeOnly: true,
    });
    expect(
      edges.some((edge) => edge.from === 'src/gateway.ts' && edge.to === 'src/sandbox/elepay/index.ts'),
    ).toBe(true);
  });

  it('no import goes against the direction or into a provider’s internals', () => {
    expect(violations(edges)).toEqual([]);
  });

  it('would catch wire types, mappers and imports against the direction', () => {
    const wrong: Edge[] = [
      { from: 'src/graphql/types/charge.ts', to: 'src/providers/elepay/wire.ts', typeOnly: true },
      { from: 'src/loaders.ts', to: 'src/providers/elopage/map.ts', typeOnly: false },
      { from: 'src/events/receivers.ts', to: 'src/providers/elepay/schemas.ts', typeOnly: false },
      { from: 'src/services/charges.ts', to: 'src/graphql/mutations.ts', typeOnly: false },
      { from: 'src/providers/elepay/client.ts', to: 'src/services/charges.ts', typeOnly: false },
      { from: 'src/providers/http.ts', to: 'src/providers/elepay/failures.ts', typeOnly: false },
      { from: 'src/domain/money.ts', to: 'src/providers/json.ts', typeOnly: false },
      { from: 'src/sandbox/elepay/model.ts', to: 'src/providers/elepay/map.ts', typeOnly: false },
    ];
    for (const edge of wrong) expect(violations([edge]), `${edge.from} → ${edge.to}`).not.toEqual([]);
    // What the simulators may do: type their answers with the gateway's wire types.
    expect(
      violations([
        { from: 'src/sandbox/elepay/model.ts', to: 'src/providers/elepay/wire.ts', typeOnly: true },
      ]),
    ).toEqual([]);
  });
});

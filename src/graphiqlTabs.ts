import { readdir, readFile } from 'node:fs/promises';
import { type DefinitionNode, type FragmentDefinitionNode, Kind, parse, print, visit } from 'graphql';

/**
 * The example operations GraphiQL opens with: one tab per file in schema/operations, each made
 * runnable on its own by appending the shared fragments it uses (GraphQL rejects unused ones).
 */
export async function loadGraphiqlTabs(folder: URL): Promise<{ query: string }[]> {
  const names = (await readdir(folder).catch(() => [] as string[]))
    .filter((name) => name.endsWith('.graphql'))
    .sort();
  const files = await Promise.all(
    names.map(async (name) => [name, await readFile(new URL(name, folder), 'utf8')] as const),
  );
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const [, text] of files) {
    for (const definition of parse(text).definitions) {
      if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
    }
  }
  return files
    .filter(([, text]) => parse(text).definitions.some((d) => d.kind === Kind.OPERATION_DEFINITION))
    .map(([, text]) => {
      const needed = fragmentsUsedBy(parse(text).definitions, fragments);
      const missing = needed.filter((fragment) => !text.includes(`fragment ${fragment.name.value} `));
      return {
        query: missing.length ? `${text.trimEnd()}\n\n${missing.map((f) => print(f)).join('\n\n')}\n` : text,
      };
    });
}

/** Every fragment reachable from the definitions, in first-use order. */
function fragmentsUsedBy(
  definitions: readonly DefinitionNode[],
  fragments: Map<string, FragmentDefinitionNode>,
): FragmentDefinitionNode[] {
  const found = new Map<string, FragmentDefinitionNode>();
  const queue = [...definitions];
  while (queue.length > 0) {
    const node = queue.shift();
    if (!node) break;
    visit(node, {
      FragmentSpread(spread) {
        const fragment = fragments.get(spread.name.value);
        if (fragment && !found.has(fragment.name.value)) {
          found.set(fragment.name.value, fragment);
          queue.push(fragment);
        }
      },
    });
  }
  return [...found.values()];
}

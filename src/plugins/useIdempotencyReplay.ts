import { isAsyncIterable, type Plugin } from 'graphql-yoga';

/** What a keyed mutation field reports about itself: its key and whether the payload was a replay. */
export interface IdempotencyNote {
  mutation: string;
  key: string;
  replayed: boolean;
}

/**
 * Notes per operation context. A WeakMap rather than a Context field: the notes only matter to this
 * plugin, and they go away with the context.
 */
const notes = new WeakMap<object, IdempotencyNote[]>();

/** Called by runMutation for every keyed mutation that returns a payload (executed or replayed). */
export function noteIdempotency(context: object, note: IdempotencyNote): void {
  const list = notes.get(context);
  if (list) list.push(note);
  else notes.set(context, [note]);
}

/**
 * Tells the client, in `extensions.idempotency`, that its key was honoured and whether the payload
 * is a replay: `{ key, replayed }` (replayed: true when any keyed field in the operation replayed;
 * with several keyed fields, `fields` lists each). Data and userErrors stay exactly as first
 * returned, so the flag has to travel outside them.
 */
export function useIdempotencyReplay(): Plugin {
  return {
    onExecute({ args }) {
      return {
        onExecuteDone({ result, setResult }) {
          const list = notes.get(args.contextValue as object);
          if (!list || list.length === 0 || isAsyncIterable(result)) return;
          const first = list[0] as IdempotencyNote;
          const replay = list.find((note) => note.replayed);
          const idempotency = {
            key: (replay ?? first).key,
            replayed: replay !== undefined,
            ...(list.length > 1
              ? { fields: list.map(({ mutation, key, replayed }) => ({ mutation, key, replayed })) }
              : {}),
          };
          setResult({ ...result, extensions: { ...result.extensions, idempotency } });
        },
      };
    },
  };
}

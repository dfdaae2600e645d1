import { NoUnusedFragmentsRule, specifiedRules, type ValidationRule } from 'graphql';
import type { Plugin } from 'graphql-yoga';

/**
 * Accepts documents with fragments the selected operation does not use. GraphiQL (Yoga's) sends
 * only the operation you run plus every fragment in the editor, so a tab whose operations use
 * different fragments would otherwise fail with `Fragment "…" is never used`. An unused fragment
 * is harmless: every other rule still validates it (types, fields, cycles), it executes nothing,
 * and the token limit counts it like any other text.
 */
export function useUnusedFragments(): Plugin {
  const withoutUnusedRule = (rules: readonly ValidationRule[] | undefined) =>
    (rules ?? specifiedRules).filter((rule) => rule !== NoUnusedFragmentsRule);
  return {
    onValidate({ validateFn, setValidationFn }) {
      setValidationFn((schema, document, rules, ...rest) =>
        validateFn(schema, document, withoutUnusedRule(rules), ...rest),
      );
    },
  };
}

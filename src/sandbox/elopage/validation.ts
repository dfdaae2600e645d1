import { Dec, isUnsignedDecimal } from '../../domain/money.js';
import type { Issues } from './errors.js';
import {
  type AuthorRow,
  INTERVALS,
  PLAN_FORMS,
  type PlanForm,
  type Preferences,
  SPLITTING_TYPES,
  type StringFields,
} from './types.js';

/**
 * Request validation. Bodies come from parseExactJson, so every JSON number is already its exact
 * text: `"199.9"` and `199.9` read the same, as do `"5"` and `5` for p_count
 * (providers/elopage.md, Conventions: Numbers).
 */
export const MAX_PLANS_PER_PAGE = 5;

export function asRecord(value: unknown): Record<string, unknown> | null {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : null;
}

const ID_TEXT = /^[1-9]\d{0,14}$/;

/** A numeric ID sent as a JSON number or a string (`1087` / `"1087"`); null when it is not one. */
export function idText(value: unknown): string | null {
  return typeof value === 'string' && ID_TEXT.test(value) ? value : null;
}

/** undefined = absent; null = explicitly null. */
export function optionalString(
  source: Record<string, unknown>,
  key: string,
  path: string,
  issues: Issues,
): string | null | undefined {
  const value = source[key];
  if (value === undefined || value === null) return value;
  if (typeof value !== 'string') {
    issues.add(path, 'must be a string');
    return undefined;
  }
  return value;
}

function decimal(
  prefs: Record<string, unknown>,
  key: string,
  path: string,
  issues: Issues,
  required: boolean,
) {
  const value = prefs[key];
  if (value === undefined || value === null) {
    if (required) issues.add(`${path}.${key}`, 'is required');
    return undefined;
  }
  if (typeof value !== 'string' || !isUnsignedDecimal(value)) {
    issues.add(`${path}.${key}`, 'must be a non-negative decimal');
    return undefined;
  }
  return value;
}

function oneOf(
  prefs: Record<string, unknown>,
  key: string,
  allowed: readonly string[],
  path: string,
  issues: Issues,
): string | undefined {
  const value = prefs[key];
  if (value === undefined || value === null) {
    issues.add(`${path}.${key}`, 'is required');
    return undefined;
  }
  if (typeof value !== 'string' || !allowed.includes(value)) {
    issues.add(`${path}.${key}`, `must be one of ${allowed.join(', ')}`);
    return undefined;
  }
  return value;
}

export interface PlanInput {
  /** Present on a PUT sales page plan that edits an existing plan. */
  id?: string;
  form: PlanForm;
  preferences: Preferences;
}

/** Validates one pricing plan (`form` + `preferences`); returns null when it has errors. */
export function parsePlan(value: unknown, path: string, issues: Issues, allowId: boolean): PlanInput | null {
  const plan = asRecord(value);
  if (!plan) {
    issues.add(path, 'must be an object');
    return null;
  }
  const before = Object.keys(issues.errors).length;
  let id: string | undefined;
  if (allowId && plan.id !== undefined && plan.id !== null) {
    id = idText(plan.id) ?? undefined;
    if (id === undefined) issues.add(`${path}.id`, 'must be a pricing plan ID');
  }
  const form = oneOf(plan, 'form', PLAN_FORMS, path, issues) as PlanForm | undefined;
  const prefs = asRecord(plan.preferences);
  if (!prefs) {
    issues.add(`${path}.preferences`, 'must be an object');
    return null;
  }
  const at = `${path}.preferences`;
  const preferences: Preferences = {};
  if (form === 'one_time') {
    preferences.price = decimal(prefs, 'price', at, issues, true);
    preferences.old_price = decimal(prefs, 'old_price', at, issues, false);
  } else if (form === 'subscription' || form === 'split') {
    if (form === 'split') {
      const count = prefs.p_count;
      if (count === undefined || count === null) issues.add(`${at}.p_count`, 'is required');
      else if (typeof count !== 'string' || !/^[1-9]\d{0,5}$/.test(count)) {
        issues.add(`${at}.p_count`, 'must be a positive integer');
      } else preferences.p_count = count;
    }
    preferences.first_interval = oneOf(prefs, 'first_interval', INTERVALS, at, issues);
    preferences.first_amount = decimal(prefs, 'first_amount', at, issues, true);
    preferences.next_interval = oneOf(prefs, 'next_interval', INTERVALS, at, issues);
    preferences.next_amount = decimal(prefs, 'next_amount', at, issues, true);
    if (form === 'split')
      preferences.splitting_type = oneOf(prefs, 'splitting_type', SPLITTING_TYPES, at, issues);
  }
  if (!form || Object.keys(issues.errors).length > before) return null;
  // Drop keys that were optional and absent, so the stored preferences hold only what was given.
  for (const key of Object.keys(preferences) as (keyof Preferences)[]) {
    if (preferences[key] === undefined) delete preferences[key];
  }
  return { ...(id ? { id } : {}), form, preferences };
}

export function parsePlans(
  value: unknown,
  path: string,
  issues: Issues,
  allowId: boolean,
): PlanInput[] | null {
  if (!Array.isArray(value)) {
    issues.add(path, 'must be an array');
    return null;
  }
  if (value.length > MAX_PLANS_PER_PAGE) {
    issues.add(path, `at most ${MAX_PLANS_PER_PAGE} pricing plans per sales page`);
    return null;
  }
  const plans = value.map((plan, index) => parsePlan(plan, `${path}.${index}`, issues, allowId));
  return plans.every((plan) => plan !== null) ? (plans as PlanInput[]) : null;
}

/**
 * Create requests spell the author fields `id` + `custom_commission_enabled`, the document's field
 * table `c_c_enabled` (providers/elopage.md quirk 3): both are accepted.
 */
export function parseAuthors(value: unknown, path: string, issues: Issues): AuthorRow[] | null {
  if (!Array.isArray(value)) {
    issues.add(path, 'must be an array');
    return null;
  }
  const authors: AuthorRow[] = [];
  value.forEach((entry, index) => {
    const at = `${path}.${index}`;
    const author = asRecord(entry);
    if (!author) {
      issues.add(at, 'must be an object');
      return;
    }
    const authorId = idText(author.id ?? author.author_id);
    if (!authorId) issues.add(`${at}.id`, 'must be an author ID');
    const enabled = author.custom_commission_enabled ?? author.c_c_enabled ?? false;
    if (typeof enabled !== 'boolean') issues.add(`${at}.custom_commission_enabled`, 'must be a boolean');
    let commission: string | null = null;
    if (author.commission !== undefined && author.commission !== null) {
      const text = author.commission;
      if (typeof text !== 'string' || !isUnsignedDecimal(text) || new Dec(text).gt(100)) {
        issues.add(`${at}.commission`, 'must be a percentage between 0 and 100');
      } else commission = text;
    }
    if (authorId && typeof enabled === 'boolean') {
      authors.push({ authorId, customCommissionEnabled: enabled, commission });
    }
  });
  return authors.length === value.length ? authors : null;
}

/** `forward` and `success_email`: objects of optional strings; unknown keys are dropped. */
export function parseStringFields(
  value: unknown,
  keys: readonly string[],
  path: string,
  issues: Issues,
): StringFields | null | undefined {
  if (value === undefined) return undefined;
  if (value === null) return null;
  const source = asRecord(value);
  if (!source) {
    issues.add(path, 'must be an object');
    return undefined;
  }
  const fields: StringFields = {};
  for (const key of keys) {
    const text = optionalString(source, key, `${path}.${key}`, issues);
    if (text !== undefined) fields[key] = text;
  }
  return fields;
}

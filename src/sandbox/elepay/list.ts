import {
  CHARGE_DATE_FIELDS,
  CHARGE_STATUSES,
  type ChargeDateField,
  type ChargeStatus,
  LIST_DEFAULT_LIMIT,
  LIST_MAX_LIMIT,
  PAYMENT_METHODS,
  SORT_ORDERS,
  type SortOrder,
} from './constants.js';
import { invalid } from './errors.js';
import type { ChargeRecord } from './model.js';
import { oneOf } from './validation.js';

/** GET /charges query (providers/elepay.md §6). Bad values are M002002 with the parameter name. */
export interface ChargeListQuery {
  paymentMethods: string[];
  from: number | null;
  to: number | null;
  dateField: ChargeDateField;
  status: ChargeStatus | null;
  limit: number;
  offset: number;
  sort: ChargeDateField;
  order: SortOrder;
}

export function parseChargeListQuery(query: URLSearchParams): ChargeListQuery {
  // Repeated key, explode=true (§6): ?paymentMethod=paypay&paymentMethod=creditcard
  const paymentMethods = query.getAll('paymentMethod').map((m) => oneOf(m, 'paymentMethod', PAYMENT_METHODS));
  const status = query.get('status');
  return {
    paymentMethods,
    from: integerParam(query, 'from', null, 0),
    to: integerParam(query, 'to', null, 0),
    dateField: enumParam(query, 'dateField', CHARGE_DATE_FIELDS, 'create_time'),
    status: status === null ? null : oneOf(status, 'status', CHARGE_STATUSES),
    limit: integerParam(query, 'limit', LIST_DEFAULT_LIMIT, 1, LIST_MAX_LIMIT),
    offset: integerParam(query, 'offset', 0, 0),
    sort: enumParam(query, 'sort', CHARGE_DATE_FIELDS, 'create_time'),
    order: enumParam(query, 'order', SORT_ORDERS, 'desc'),
  };
}

/** `total` is the full match count, which offset paging needs (§6 [infer]). */
export function listCharges(
  charges: ChargeRecord[],
  query: ChargeListQuery,
): { total: number; page: ChargeRecord[] } {
  const matches = charges.filter((charge) => {
    if (query.paymentMethods.length > 0 && !query.paymentMethods.includes(charge.paymentMethod)) return false;
    if (query.status !== null && charge.status !== query.status) return false;
    if (query.from === null && query.to === null) return true;
    // Both bounds are inclusive; a charge without the chosen timestamp never matches a range.
    const time = dateOf(charge, query.dateField);
    if (time === null) return false;
    return (query.from === null || time >= query.from) && (query.to === null || time <= query.to);
  });
  const direction = query.order === 'asc' ? 1 : -1;
  matches.sort((a, b) => {
    const ta = dateOf(a, query.sort);
    const tb = dateOf(b, query.sort);
    // Charges without the sort timestamp (unpaid, sorted by paid_time) go last either way.
    if (ta === null || tb === null) return ta === tb ? direction * (a.seq - b.seq) : ta === null ? 1 : -1;
    return direction * (ta - tb || a.seq - b.seq);
  });
  return { total: matches.length, page: matches.slice(query.offset, query.offset + query.limit) };
}

function dateOf(charge: ChargeRecord, field: ChargeDateField): number | null {
  return field === 'paid_time' ? charge.paidTime : charge.createTime;
}

function integerParam<T extends number | null>(
  query: URLSearchParams,
  name: string,
  fallback: T,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): number | T {
  const text = query.get(name);
  if (text === null || text === '') return fallback;
  const value = /^[0-9]{1,16}$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw invalid(name, `${name} must be an integer between ${min} and ${max}`);
  }
  return value;
}

function enumParam<T extends string>(
  query: URLSearchParams,
  name: string,
  allowed: readonly T[],
  fallback: T,
): T {
  const text = query.get(name);
  return text === null || text === '' ? fallback : oneOf(text, name, allowed);
}

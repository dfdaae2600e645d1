import { jsonNumber } from '../../providers/json.js';
import type { SandboxReply, SandboxRequest, SandboxRoute } from '../server.js';
import { Issues, notFound } from './errors.js';
import type { ElopageContext } from './notify.js';
import { addPlan, pathId } from './pricingPlans.js';
import { originOf, renderSalesPage, urlToPay } from './render.js';
import type { ElopageTables } from './tables.js';
import type { AuthorRow, SalesPageRow, StringFields } from './types.js';
import {
  asRecord,
  MAX_PLANS_PER_PAGE,
  optionalString,
  type PlanInput,
  parseAuthors,
  parsePlans,
  parseStringFields,
} from './validation.js';

/** Sales page routes (document, Sales Page): create, read, update. */
const FORWARD_KEYS = ['first_name', 'last_name', 'email', 'coupon', 'campaign_id'] as const;
const SUCCESS_EMAIL_KEYS = ['subject_en', 'subject_de', 'body_en', 'body_de'] as const;
const TEXT_FIELDS = [
  ['success_url', 'successUrl'],
  ['cancel_url', 'cancelUrl'],
  ['error_url', 'errorUrl'],
  ['webhook_url', 'webhookUrl'],
  ['page_header', 'pageHeader'],
  ['page_footer', 'pageFooter'],
] as const;

type TextField = (typeof TEXT_FIELDS)[number][1];

/** The page fields of a create or update body; undefined = not given. */
interface PageFields extends Partial<Record<TextField, string | null>> {
  name?: string;
  authors?: AuthorRow[];
  forward?: StringFields | null;
  successEmail?: StringFields | null;
}

export interface NewSalesPage extends PageFields {
  name: string;
}

export function insertSalesPage(
  tables: ElopageTables,
  fields: NewSalesPage,
  plans: PlanInput[],
): SalesPageRow {
  const id = tables.salesPages.nextId();
  const page: SalesPageRow = {
    id,
    name: fields.name,
    slug: slugify(fields.name),
    successUrl: fields.successUrl ?? null,
    cancelUrl: fields.cancelUrl ?? null,
    errorUrl: fields.errorUrl ?? null,
    webhookUrl: fields.webhookUrl ?? null,
    pageHeader: fields.pageHeader ?? null,
    pageFooter: fields.pageFooter ?? null,
    planIds: [],
    authors: fields.authors ?? [],
    forward: fields.forward ?? null,
    successEmail: fields.successEmail ?? null,
  };
  tables.salesPages.insert(id, page);
  for (const plan of plans) addPlan(tables, page, plan);
  return page;
}

/** `product name` → `product-name`, like the document's `url_to_pay` example. */
function slugify(name: string): string {
  const slug = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40)
    .replace(/-+$/, '');
  return slug || 'product';
}

function parsePageFields(body: Record<string, unknown>, issues: Issues, nameRequired: boolean): PageFields {
  const fields: PageFields = {};
  const name = body.name;
  if (name === undefined && !nameRequired) {
    // Not changing the name.
  } else if (typeof name !== 'string' || name.trim() === '') issues.add('name', 'must not be blank');
  else fields.name = name;
  for (const [wireKey, field] of TEXT_FIELDS) {
    const value = optionalString(body, wireKey, wireKey, issues);
    if (value !== undefined) fields[field] = value;
  }
  if (body.authors !== undefined) {
    fields.authors =
      body.authors === null ? [] : (parseAuthors(body.authors, 'authors', issues) ?? undefined);
  }
  fields.forward = parseStringFields(body.forward, FORWARD_KEYS, 'forward', issues);
  fields.successEmail = parseStringFields(body.success_email, SUCCESS_EMAIL_KEYS, 'success_email', issues);
  return fields;
}

function saved(page: SalesPageRow, request: SandboxRequest): SandboxReply {
  return { status: 200, body: { id: jsonNumber(page.id), url_to_pay: urlToPay(originOf(request), page) } };
}

export function salesPageRoutes(context: ElopageContext): SandboxRoute[] {
  const { tables } = context;

  const create = (request: SandboxRequest): SandboxReply => {
    const body = asRecord(request.body) ?? {};
    const issues = new Issues();
    const fields = parsePageFields(body, issues, true);
    let plans: PlanInput[] | null = null;
    if (body.pricing_plans === undefined || body.pricing_plans === null) {
      issues.add('pricing_plans', 'at least one pricing plan is required');
    } else {
      plans = parsePlans(body.pricing_plans, 'pricing_plans', issues, false);
      if (plans?.length === 0) issues.add('pricing_plans', 'at least one pricing plan is required');
    }
    if (!issues.ok || !plans || fields.name === undefined) return issues.reply();
    return saved(insertSalesPage(tables, { ...fields, name: fields.name }, plans), request);
  };

  const read = (request: SandboxRequest): SandboxReply => {
    const id = pathId(request);
    const page = id ? tables.salesPages.get(id) : undefined;
    if (!page) return notFound('sales page not found');
    return { status: 200, body: renderSalesPage(tables, page, originOf(request)) };
  };

  /**
   * All fields optional. A plan with `id` replaces that plan's form and preferences (it must belong
   * to this page), one without is added, and plans not mentioned are kept.
   */
  const update = (request: SandboxRequest): SandboxReply => {
    const id = pathId(request);
    const page = id ? tables.salesPages.get(id) : undefined;
    if (!page) return notFound('sales page not found');
    const body = asRecord(request.body) ?? {};
    const issues = new Issues();
    const fields = parsePageFields(body, issues, false);
    let plans: PlanInput[] = [];
    if (body.pricing_plans !== undefined && body.pricing_plans !== null) {
      plans = parsePlans(body.pricing_plans, 'pricing_plans', issues, true) ?? [];
    }
    plans.forEach((plan, index) => {
      if (plan.id !== undefined && !page.planIds.includes(plan.id)) {
        issues.add(`pricing_plans.${index}.id`, 'is not a pricing plan of this sales page');
      }
    });
    const added = plans.filter((plan) => plan.id === undefined).length;
    if (page.planIds.length + added > MAX_PLANS_PER_PAGE) {
      issues.add('pricing_plans', `at most ${MAX_PLANS_PER_PAGE} pricing plans per sales page`);
    }
    if (!issues.ok) return issues.reply();

    if (fields.name !== undefined) page.name = fields.name;
    for (const [, field] of TEXT_FIELDS) {
      const value = fields[field];
      if (value !== undefined) page[field] = value;
    }
    if (fields.authors !== undefined) page.authors = fields.authors;
    if (fields.forward !== undefined) page.forward = fields.forward;
    if (fields.successEmail !== undefined) page.successEmail = fields.successEmail;
    for (const plan of plans) {
      const existing = plan.id === undefined ? undefined : tables.pricingPlans.get(plan.id);
      if (!existing) addPlan(tables, page, plan);
      else Object.assign(existing, { form: plan.form, preferences: { ...plan.preferences } });
    }
    return saved(page, request);
  };

  return [
    { method: 'POST', path: '/api/sales_pages', handler: create },
    { method: 'GET', path: '/api/sales_pages/:id', handler: read },
    { method: 'PUT', path: '/api/sales_pages/:id', handler: update },
  ];
}

/**
 * Domain requests → elopage request bodies (providers/elopage.md, Sales pages and Pricing plans).
 * Decimals go as strings, as elopage's own examples send them; create requests spell authors `id`
 * and `custom_commission_enabled` (quirk 3). Credentials are added by the client.
 */
import type { PricingPlanDraft, SalesPageDraft } from '../../domain/requests.js';
import { INTERVALS } from './map.js';
import type {
  ElopageCreatePricingPlanRequestWire,
  ElopagePricingPlanRequestWire,
  ElopageSalesPageRequestWire,
} from './wire.js';

/** Drops null and undefined values so an update leaves those fields untouched at elopage. */
function defined<T extends object>(record: T): Partial<{ [K in keyof T]: NonNullable<T[K]> }> {
  return Object.fromEntries(
    Object.entries(record).filter(([, value]) => value !== null && value !== undefined),
  ) as Partial<{ [K in keyof T]: NonNullable<T[K]> }>;
}

function pricingPlanRequest(plan: PricingPlanDraft): ElopagePricingPlanRequestWire {
  if (plan.form === 'ONE_TIME') {
    return {
      form: 'one_time',
      preferences: { price: plan.price, ...(plan.oldPrice ? { old_price: plan.oldPrice } : {}) },
    };
  }
  const preferences = {
    first_interval: INTERVALS[plan.firstInterval],
    first_amount: plan.firstAmount,
    next_interval: INTERVALS[plan.nextInterval],
    next_amount: plan.nextAmount,
  };
  if (plan.form === 'SPLIT') {
    return {
      form: 'split',
      preferences: {
        ...preferences,
        p_count: plan.paymentsCount,
        splitting_type: plan.splittingType.toLowerCase(),
      },
    };
  }
  return { form: 'subscription', preferences };
}

export function createPricingPlanRequest(
  salesPageId: string,
  plan: PricingPlanDraft,
): ElopageCreatePricingPlanRequestWire {
  return { sales_page_id: Number(salesPageId), pricing_plan: pricingPlanRequest(plan) };
}

export function salesPageRequest(page: SalesPageDraft): ElopageSalesPageRequestWire {
  return defined({
    name: page.name?.trim(),
    success_url: page.successUrl,
    cancel_url: page.cancelUrl,
    error_url: page.errorUrl,
    webhook_url: page.webhookUrl,
    page_header: page.pageHeader,
    page_footer: page.pageFooter,
    pricing_plans: page.pricingPlans?.map(pricingPlanRequest),
    authors: page.authors?.map((author) => ({
      id: Number(author.authorId),
      ...defined({
        custom_commission_enabled: author.customCommissionEnabled,
        commission: author.commission ? Number(author.commission) : undefined,
      }),
    })),
    success_email: page.successEmail
      ? defined({
          subject_en: page.successEmail.subjectEn,
          subject_de: page.successEmail.subjectDe,
          body_en: page.successEmail.bodyEn,
          body_de: page.successEmail.bodyDe,
        })
      : undefined,
    forward: page.forward
      ? defined({
          first_name: page.forward.firstName,
          last_name: page.forward.lastName,
          email: page.forward.email,
          coupon: page.forward.coupon,
          campaign_id: page.forward.campaignId,
        })
      : undefined,
  });
}

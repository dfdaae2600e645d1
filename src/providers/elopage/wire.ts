/**
 * elopage wire types as the gateway reads them (providers/elopage.md). Every JSON number arrives
 * as its exact text (providers/json.ts), and elopage sends decimals both as numbers and as
 * strings, so all numeric fields are `NumberText`.
 */
export type NumberText = string;

export interface ElopagePayerWire {
  email?: string | null;
  first_name?: string | null;
  last_name?: string | null;
  country?: string | null;
  city?: string | null;
  street?: string | null;
  zip?: string | null;
  company?: string | null;
  vat_id?: string | null;
  phone?: string | null;
}

export interface ElopageAuthorCommissionWire {
  id: NumberText;
  rate?: NumberText | null;
  amount: NumberText;
  payment_id?: NumberText | null;
}

/** GET /payments/:id for a payment; also the webhook body. */
export interface ElopagePaymentWire {
  id: NumberText;
  payer?: ElopagePayerWire | null;
  revenue: NumberText;
  amount: NumberText;
  fee: NumberText;
  recurring?: boolean | null;
  recurring_form?: string | null;
  payment_method?: string | null;
  payment_session_id?: NumberText | null;
  sales_page_id?: NumberText | null;
  state: string;
  /** `2017-12-11T15:47Z` (no seconds). */
  created_date?: string | null;
  success_date?: string | null;
  success_date_short?: string | null;
  invoice_link?: string | null;
  success_link?: string | null;
  author_commissions?: ElopageAuthorCommissionWire[] | null;
}

/** POST /payments/:id/refund response, and GET /payments/:id for a refund transaction. */
export interface ElopageRefundWire {
  id: NumberText;
  payer?: ElopagePayerWire | null;
  /** Negative gross amount. */
  total: NumberText;
  /** Negative net amount. */
  amount: NumberText;
  fee: NumberText;
  payment_method?: string | null;
  payment_session_id?: NumberText | null;
  sales_page_id?: NumberText | null;
  /** The documented spelling (table) … */
  refunded_transfer_id?: NumberText | null;
  /** … and the one in the examples (quirk 1). */
  refunded_tansfer_id?: NumberText | null;
  state: string;
  created_date?: string | null;
  author_commissions?: ElopageAuthorCommissionWire[] | null;
}

export interface ElopagePreferencesWire {
  price?: NumberText | null;
  old_price?: NumberText | null;
  p_count?: NumberText | null;
  first_interval?: string | null;
  first_amount?: NumberText | null;
  next_interval?: string | null;
  next_amount?: NumberText | null;
  splitting_type?: string | null;
}

export interface ElopagePricingPlanWire {
  id?: NumberText | null;
  /** `one_time`, `subscription`, `split` — and `splited` in one response (quirk 5). */
  form: string;
  preferences?: ElopagePreferencesWire | null;
}

export interface ElopageSalesPageAuthorWire {
  author_id?: NumberText | null;
  /** Create requests spell it `id` (quirk 3). */
  id?: NumberText | null;
  c_c_enabled?: boolean | null;
  custom_commission_enabled?: boolean | null;
  commission?: NumberText | null;
}

/** GET /sales_pages/:id — note: the documented response has no `id`. */
export interface ElopageSalesPageWire {
  id?: NumberText | null;
  name?: string | null;
  url_to_pay?: string | null;
  success_url?: string | null;
  cancel_url?: string | null;
  error_url?: string | null;
  webhook_url?: string | null;
  free?: boolean | null;
  pricing_plans?: ElopagePricingPlanWire[] | null;
  authors?: ElopageSalesPageAuthorWire[] | null;
}

/** Decimals are sent as strings, as in elopage's own examples. */
export interface ElopagePreferencesRequestWire {
  price?: string;
  old_price?: string;
  p_count?: number;
  first_interval?: string;
  first_amount?: string;
  next_interval?: string;
  next_amount?: string;
  splitting_type?: string;
}

export interface ElopagePricingPlanRequestWire {
  /** Only on update: edits the plan with this ID. */
  id?: number;
  form: 'one_time' | 'subscription' | 'split';
  preferences: ElopagePreferencesRequestWire;
}

/** POST /sales_pages and PUT /sales_pages/:id body (without key/secret, which the client adds). */
export interface ElopageSalesPageRequestWire {
  name?: string;
  success_url?: string;
  cancel_url?: string;
  error_url?: string;
  webhook_url?: string;
  page_header?: string;
  page_footer?: string;
  pricing_plans?: ElopagePricingPlanRequestWire[];
  authors?: { id: number; custom_commission_enabled?: boolean; commission?: number }[];
  forward?: {
    first_name?: string;
    last_name?: string;
    email?: string;
    coupon?: string;
    campaign_id?: string;
  };
  success_email?: { subject_en?: string; subject_de?: string; body_en?: string; body_de?: string };
}

export interface ElopageSalesPageSavedWire {
  id: NumberText;
  url_to_pay?: string | null;
}

export interface ElopageCreatePricingPlanRequestWire {
  sales_page_id: number;
  pricing_plan: ElopagePricingPlanRequestWire;
}

export interface ElopageDeleteResponseWire {
  status: 'success' | 'error' | string;
  response?: string | null;
}

/** Error body; the document names `NoAccessRight` and `UserNotFound` but no shape. */
export interface ElopageErrorWire {
  error?: string | null;
  message?: string | null;
  errors?: Record<string, string[]> | null;
}

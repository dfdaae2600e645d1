/**
 * elepay wire types as the gateway reads them (providers/elepay.md §4). Every JSON number arrives
 * as its exact text (providers/json.ts), so numbers are typed `NumberText`. Fields that any
 * version of the spec omits are optional: the client must tolerate drift (§11).
 */
import type { LosslessNumber } from 'lossless-json';

export type NumberText = string;

export interface ElepayRefundsSummaryWire {
  amount?: NumberText | null;
  totalCount?: NumberText | null;
  data?: ElepayRefundWire[] | null;
}

export interface ElepayChargeWire {
  id: string;
  object?: string;
  appId?: string | null;
  liveMode?: boolean | null;
  amount: NumberText;
  authorizeAmount?: NumberText | null;
  currency?: string | null;
  authorize?: boolean | null;
  paymentMethod?: string | null;
  resource?: string | null;
  orderNo: string;
  description?: string | null;
  extra?: Record<string, string> | null;
  metadata?: Record<string, string> | null;
  cardInfo?: Record<string, unknown> | null;
  voucherNo?: string | null;
  clientIp?: string | null;
  paid?: boolean | null;
  refunded?: boolean | null;
  disputed?: boolean | null;
  refunds?: ElepayRefundsSummaryWire | null;
  status: string;
  codeContent?: string | null;
  credential?: string | null;
  /** UNIX milliseconds (§1 Timestamps). */
  paidTime?: NumberText | null;
  refundTime?: NumberText | null;
  expiryTime?: NumberText | null;
  settleTime?: NumberText | null;
  createTime?: NumberText | null;
}

export interface ElepayRefundWire {
  id: string;
  object?: string;
  chargeId: string;
  liveMode?: boolean | null;
  amount: NumberText;
  currency?: string | null;
  metadata?: Record<string, string> | null;
  reason?: string | null;
  status: string;
  refundedTime?: NumberText | null;
  createTime?: NumberText | null;
}

export interface ElepayChargesResponseWire {
  total: NumberText;
  charges: ElepayChargeWire[];
}

export interface ElepayRefundsResponseWire {
  total: NumberText;
  refunds: ElepayRefundWire[];
}

export interface ElepayChargeStatusWire {
  id: string;
  appId?: string | null;
  liveMode?: boolean | null;
  status: string;
}

/** POST /charges body. `amount` is an integer in the currency's minor unit (JPY: whole yen). */
export interface ElepayChargeRequestWire {
  amount: LosslessNumber;
  paymentMethod: string;
  orderNo: string;
  currency?: string;
  capture?: boolean;
  resource?: string;
  description?: string;
  extra?: Record<string, string>;
  metadata?: Record<string, string>;
  clientIp?: string;
}

export interface ElepayCaptureRequestWire {
  amount?: LosslessNumber;
  extra?: Record<string, string>;
}

/** POST /charges/{id}/refunds body; `amount` is required even for a full refund (§4, §11 #12). */
export interface ElepayRefundRequestWire {
  amount: LosslessNumber;
  currency?: string;
  metadata?: Record<string, string>;
  reason?: string;
}

/** GET /charges query (§6). */
export interface ElepayListChargesQuery {
  paymentMethod?: string[];
  from?: string;
  to?: string;
  dateField?: 'paid_time' | 'create_time';
  status?: string;
  limit?: number;
  offset?: number;
  sort?: 'paid_time' | 'create_time';
  order?: 'asc' | 'desc';
}

/** Error body: current shape plus the legacy `{code, message}` / `{type, code, message}` (§7). */
export interface ElepayErrorWire {
  errorCode?: string | null;
  code?: string | null;
  type?: string | null;
  message?: string | null;
  requestId?: string | null;
  parameterName?: string | null;
  providerError?: { providerKey?: string; code?: string; message?: string } | null;
}

/** Webhook event envelope (§8). `data.object` is the resource as the API returns it. */
export interface ElepayEventWire {
  id: string;
  object: 'event';
  createTime: NumberText;
  liveMode: boolean;
  type: string;
  data: { object: ElepayChargeWire | ElepayRefundWire };
}

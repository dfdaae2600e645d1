import type { ResultOf, VariablesOf } from '@graphql-typed-document-node/core';
import { print } from 'graphql';
import { graphql } from './gql';

/** What a checkout page needs: a charge and its refunds, typed from the schema. */
export const ChargeStatusQuery = graphql(`
  query ChargeStatus($id: ID!) {
    charge(id: $id) {
      id
      status
      amount {
        amount
        currency
      }
      refundedAmount {
        amount
      }
    }
  }
`);

export const CreateChargeMutation = graphql(`
  mutation CheckoutCreateCharge($input: CreateChargeInput!) {
    createCharge(input: $input) {
      charge {
        id
        status
      }
      userErrors {
        field
        code
        message
      }
    }
  }
`);

/** Any GraphQL client that accepts TypedDocumentNode works the same way; plain fetch shown here. */
export async function chargeStatus(
  endpoint: string,
  variables: VariablesOf<typeof ChargeStatusQuery>,
): Promise<ResultOf<typeof ChargeStatusQuery>['charge']> {
  const response = await fetch(endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: print(ChargeStatusQuery), variables }),
  });
  const { data } = (await response.json()) as { data: ResultOf<typeof ChargeStatusQuery> };
  return data.charge;
}

/** Decimal amounts are strings (exact): show them as they are, never parse money into a float. */
export function label(charge: NonNullable<ResultOf<typeof ChargeStatusQuery>['charge']>): string {
  return `${charge.amount.amount} ${charge.amount.currency} (${charge.status})`;
}

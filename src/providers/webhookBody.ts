/**
 * A webhook body as a provider may send it: JSON whatever the content type says, or form-encoded
 * key/value pairs; anything else is no body (null). Plain JSON, not the exact parse: a webhook is
 * only a hint naming an object (the gateway reads its amounts from the API), and the schemas tell a
 * JSON number from a string where the type matters (an elepay object ID is a string).
 */

const FORM_ENCODED = /^[\w.%+-]+=[^&]*(&[\w.%+-]+=[^&]*)*$/;

export function parseWebhookBody(raw: Buffer): unknown {
  const text = raw.toString('utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch {
    if (!FORM_ENCODED.test(text.trim())) return null;
    return Object.fromEntries(new URLSearchParams(text.trim()));
  }
}

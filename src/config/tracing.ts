/**
 * OpenTelemetry traces (src/tracing/): on when an OTLP endpoint is set, unless OTEL_SDK_DISABLED or
 * OTEL_TRACES_EXPORTER=none. The SDK reads its standard variables itself (OTEL_SERVICE_NAME,
 * OTEL_EXPORTER_OTLP_HEADERS, OTEL_TRACES_SAMPLER, …); these are the few the gateway checks first.
 */

import type { Env } from './schema.js';

/**
 * The values of an OTLP headers variable (`key1=value1,key2=value2`, values URL-encoded), as given,
 * decoded, and word by word (the token of `Bearer <token>`).
 */
function otlpHeaderValues(text: string | undefined): string[] {
  return (text ?? '').split(',').flatMap((pair) => {
    const value = pair.slice(pair.indexOf('=') + 1).trim();
    if (!pair.includes('=') || !value) return [];
    let decoded = value;
    try {
      decoded = decodeURIComponent(value);
    } catch {}
    return [value, decoded, ...decoded.split(/\s+/)];
  });
}

/** null: no traces, and no OpenTelemetry module is loaded. */
export function tracingOf(e: Env) {
  const signalEndpoint = e.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
  const endpoint =
    signalEndpoint ??
    (e.OTEL_EXPORTER_OTLP_ENDPOINT ? `${e.OTEL_EXPORTER_OTLP_ENDPOINT.replace(/\/+$/, '')}/v1/traces` : null);
  if (!endpoint || e.OTEL_SDK_DISABLED?.toLowerCase() === 'true' || e.OTEL_TRACES_EXPORTER === 'none') {
    return null;
  }
  return {
    /** Where spans go, as the SDK derives it (the startup line shows its origin only). */
    endpoint,
    protocol: e.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ?? e.OTEL_EXPORTER_OTLP_PROTOCOL ?? 'http/protobuf',
    /** OTLP header values (often a vendor's API key, or `Bearer <token>`): kept out of logs. */
    secrets: [
      ...otlpHeaderValues(e.OTEL_EXPORTER_OTLP_HEADERS),
      ...otlpHeaderValues(e.OTEL_EXPORTER_OTLP_TRACES_HEADERS),
    ],
  };
}

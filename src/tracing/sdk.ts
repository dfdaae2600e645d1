import { type DiagLogger, DiagLogLevel, diag } from '@opentelemetry/api';
import {
  defaultResource,
  detectResources,
  envDetector,
  resourceFromAttributes,
} from '@opentelemetry/resources';
import { BatchSpanProcessor, NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import type { TracingConfig } from '../config.js';
import type { Logger } from '../logger.js';
import type { Tracing } from './index.js';
import { createTracing } from './spans.js';

/**
 * The OpenTelemetry SDK, loaded only when tracing is configured (src/tracing/index.ts). The 2.x
 * line: 3.x needs Node 22. Everything configurable is the SDK's own environment variables, read by
 * the SDK itself: the exporter's endpoint, headers, timeout and compression; the sampler
 * (OTEL_TRACES_SAMPLER, default parent-based always-on); the batch processor (OTEL_BSP_*); span
 * limits; OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES (over our default name `paygraph`).
 * Registering the provider installs AsyncLocalStorage context (so a provider call finds the
 * operation it belongs to) and the W3C trace-context and baggage propagators.
 */
export async function startSdk(config: TracingConfig, logger: Logger): Promise<Tracing> {
  // Export failures (collector down, refused) are the SDK's diagnostics: warnings in our log.
  diag.setLogger(diagnosticsTo(logger), DiagLogLevel.WARN);
  const { OTLPTraceExporter } =
    config.protocol === 'http/json'
      ? await import('@opentelemetry/exporter-trace-otlp-http')
      : await import('@opentelemetry/exporter-trace-otlp-proto');
  const resource = defaultResource()
    .merge(resourceFromAttributes({ 'service.name': 'paygraph' }))
    .merge(detectResources({ detectors: [envDetector] }));
  const provider = new NodeTracerProvider({
    resource,
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter())],
  });
  provider.register();
  return createTracing(provider.getTracer('paygraph'), async () => {
    await provider.shutdown();
    diag.disable();
  });
}

/** The SDK's diagnostics as log lines: its message and the messages of errors it passes along. */
function diagnosticsTo(logger: Logger): DiagLogger {
  const log =
    (level: 'warn' | 'error' | 'debug') =>
    (message: string, ...args: unknown[]): void => {
      const causes = args.flatMap((arg) => (arg instanceof Error ? [arg.message] : []));
      logger[level]({ component: 'opentelemetry', ...(causes.length ? { causes } : {}) }, message);
    };
  return {
    error: log('error'),
    warn: log('warn'),
    info: log('debug'),
    debug: log('debug'),
    verbose: log('debug'),
  };
}

// Tracing: OpenTelemetry spans exported over OTLP/HTTP when OTEL_EXPORTER_OTLP_ENDPOINT is set
// (the exporter appends /v1/traces). The provider is registered either way, so every run has a
// trace id in its logs even when nothing is exported.
import { trace, type Tracer } from "@opentelemetry/api";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { detectResources, envDetector, resourceFromAttributes } from "@opentelemetry/resources";
import { BatchSpanProcessor, type SpanProcessor } from "@opentelemetry/sdk-trace-base";
import { NodeTracerProvider } from "@opentelemetry/sdk-trace-node";
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from "@opentelemetry/semantic-conventions";

import { SERVICE_NAME } from "./objectives.js";

export interface Telemetry {
  tracer: Tracer;
  /** Flushes pending spans and stops exporting. */
  shutdown(): Promise<void>;
}

/**
 * Registers the global tracer provider, context manager and W3C propagators.
 * `OTEL_RESOURCE_ATTRIBUTES` adds resource attributes (e.g. deployment.environment.name).
 */
export function startTelemetry(options: { otlpEndpoint: string | undefined; version: string }): Telemetry {
  const spanProcessors: SpanProcessor[] = [];
  if (options.otlpEndpoint !== undefined) {
    spanProcessors.push(new BatchSpanProcessor(new OTLPTraceExporter()));
  }
  const resource = resourceFromAttributes({
    [ATTR_SERVICE_NAME]: SERVICE_NAME,
    [ATTR_SERVICE_VERSION]: options.version,
  }).merge(detectResources({ detectors: [envDetector] }));
  const provider = new NodeTracerProvider({ resource, spanProcessors });
  provider.register();
  return {
    tracer: trace.getTracer(SERVICE_NAME, options.version),
    shutdown: () => provider.shutdown(),
  };
}

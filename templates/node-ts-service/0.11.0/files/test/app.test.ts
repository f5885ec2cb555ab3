// HTTP tests through Fastify's injection (no socket): probes, the API, metrics, logs and spans.
import assert from "node:assert/strict";
import { beforeEach, describe, it } from "node:test";

import { propagation, SpanKind } from "@opentelemetry/api";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";

import { buildApp } from "../src/app.js";
import { createLogger } from "../src/logger.js";
import { Metrics } from "../src/metrics.js";

propagation.setGlobalPropagator(new W3CTraceContextPropagator());

interface Harness {
  app: ReturnType<typeof buildApp>;
  spans: InMemorySpanExporter;
  logs: Record<string, unknown>[];
}

function harness(): Harness {
  const spans = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] });
  const logs: Record<string, unknown>[] = [];
  const logger = createLogger("info", {
    write: (line: string) => {
      logs.push(JSON.parse(line) as Record<string, unknown>);
    },
  });
  const app = buildApp({ metrics: new Metrics({ runtimeMetrics: false }), logger, tracer: provider.getTracer("test") });
  return { app, spans, logs };
}

async function metricsText(h: Harness): Promise<string> {
  const response = await h.app.inject({ method: "GET", url: "/metrics" });
  assert.equal(response.statusCode, 200);
  assert.match(response.headers["content-type"] ?? "", /^text\/plain/);
  return response.body;
}

describe("probes", () => {
  let h: Harness;
  beforeEach(() => {
    h = harness();
  });

  it("/livez answers ok", async () => {
    const response = await h.app.inject({ method: "GET", url: "/livez" });
    assert.equal(response.statusCode, 200);
    assert.equal(response.body, "ok");
  });

  it("/readyz fails while draining", async () => {
    assert.equal((await h.app.inject({ method: "GET", url: "/readyz" })).statusCode, 200);
    h.app.readiness.set(false);
    const response = await h.app.inject({ method: "GET", url: "/readyz" });
    assert.equal(response.statusCode, 503);
    assert.equal(response.body, "shutting down");
  });

  it("probes and /metrics are not measured", async () => {
    await h.app.inject({ method: "GET", url: "/livez" });
    await h.app.inject({ method: "GET", url: "/readyz" });
    const text = await metricsText(h);
    assert.doesNotMatch(text, /http_route="\/livez"/);
    assert.doesNotMatch(text, /http_route="\/readyz"/);
    assert.doesNotMatch(text, /http_route="\/metrics"/);
    assert.equal(h.spans.getFinishedSpans().length, 0);
  });
});

describe("GET /v1/hello/:name", () => {
  let h: Harness;
  beforeEach(() => {
    h = harness();
  });

  it("greets and is measured under the semantic-convention name", async () => {
    const response = await h.app.inject({ method: "GET", url: "/v1/hello/ada" });
    assert.equal(response.statusCode, 200);
    assert.deepEqual(response.json(), { message: "Hello, ada!" });

    const text = await metricsText(h);
    const count = text
      .split("\n")
      .find((l) => l.startsWith("http_server_request_duration_seconds_count{"));
    assert.ok(count, text);
    assert.match(count, /http_request_method="GET"/);
    assert.match(count, /http_route="\/v1\/hello\/:name"/);
    assert.match(count, /http_response_status_code="200"/);
    assert.match(count, / 1$/);
    assert.match(text, /^app_hello_requests_total 1$/m);
  });

  it("rejects a name longer than 64 characters", async () => {
    const response = await h.app.inject({ method: "GET", url: `/v1/hello/${"a".repeat(65)}` });
    assert.equal(response.statusCode, 400);
    assert.match(response.body, /longer than 64/);
  });

  it("records a server span that continues the caller's trace", async () => {
    const traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
    await h.app.inject({
      method: "GET",
      url: "/v1/hello/ada",
      headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-01` },
    });
    const [span] = h.spans.getFinishedSpans();
    assert.ok(span);
    assert.equal(span.name, "GET /v1/hello/:name");
    assert.equal(span.kind, SpanKind.SERVER);
    assert.equal(span.spanContext().traceId, traceId);
    assert.equal(span.attributes["http.route"], "/v1/hello/:name");
    assert.equal(span.attributes["http.response.status_code"], 200);
  });

  it("logs one JSON line per request with the trace id", async () => {
    await h.app.inject({ method: "GET", url: "/v1/hello/ada" });
    const line = h.logs.find((l) => l.message === "request finished");
    assert.ok(line, JSON.stringify(h.logs));
    assert.equal(line.level, "info");
    assert.equal(line.status, 200);
    assert.equal(line.route, "/v1/hello/:name");
    assert.match(String(line.trace_id), /^[0-9a-f]{32}$/);
    assert.equal(typeof line.service, "string");
  });
});

describe("unknown paths", () => {
  it("are JSON 404s measured without a route", async () => {
    const h = harness();
    const response = await h.app.inject({ method: "GET", url: "/nope" });
    assert.equal(response.statusCode, 404);
    assert.deepEqual(response.json(), { error: "not found" });
    const text = await metricsText(h);
    const line = text
      .split("\n")
      .find((l) => l.startsWith("http_server_request_duration_seconds_count{") && l.includes('http_response_status_code="404"'));
    assert.ok(line, text);
    assert.doesNotMatch(line, /http_route/);
  });
});

describe("server errors", () => {
  it("are 500s with error_type and an error span", async () => {
    const h = harness();
    h.app.get("/v1/boom", () => {
      throw new Error("boom");
    });
    const response = await h.app.inject({ method: "GET", url: "/v1/boom" });
    assert.equal(response.statusCode, 500);
    assert.deepEqual(response.json(), { error: "internal error" });
    const text = await metricsText(h);
    assert.match(text, /http_server_request_duration_seconds_count\{[^}]*error_type="500"[^}]*\} 1/);
    const [span] = h.spans.getFinishedSpans();
    assert.equal(span?.attributes["error.type"], "500");
  });
});

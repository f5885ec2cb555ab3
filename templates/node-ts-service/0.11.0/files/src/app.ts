// The HTTP surface: probes, metrics and the API. One pair of hooks records every API request as
// an OpenTelemetry server span (continuing the caller's W3C trace) and as a measurement of
// `http.server.request.duration`. Probes and /metrics are not instrumented, so that they do not
// count against the service level objectives.
import {
  context,
  propagation,
  SpanKind,
  SpanStatusCode,
  trace,
  type Span,
  type Tracer,
} from "@opentelemetry/api";
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyRequest } from "fastify";

import { Metrics } from "./metrics.js";

export interface AppOptions {
  metrics: Metrics;
  logger: FastifyBaseLogger;
  tracer?: Tracer;
}

/** Readiness: true while the service wants traffic; false while it drains after SIGTERM. */
export class Readiness {
  private ready = true;
  set(ready: boolean): void {
    this.ready = ready;
  }
  get(): boolean {
    return this.ready;
  }
}

interface Instrumentation {
  span: Span;
  start: bigint;
}

declare module "fastify" {
  interface FastifyRequest {
    instrumentation?: Instrumentation;
  }
  interface FastifyInstance {
    readiness: Readiness;
  }
}

const UNMEASURED = new Set(["/livez", "/readyz", "/metrics"]);

function routeOf(request: FastifyRequest): string | undefined {
  // `routeOptions.url` is the route template (`/v1/hello/:name`); undefined for a 404.
  return request.routeOptions.url;
}

export function buildApp(options: AppOptions): FastifyInstance {
  const { metrics, logger } = options;
  const tracer = options.tracer ?? trace.getTracer("app");
  const app = Fastify({
    loggerInstance: logger,
    // One "request finished" line per API request comes from the onResponse hook instead.
    logController: new LogController({ disableRequestLogging: true }),
    return503OnClosing: true,
  });
  app.decorate("readiness", new Readiness());

  app.addHook("onRequest", (request, reply, done) => {
    const route = routeOf(request);
    if (route !== undefined && UNMEASURED.has(route)) {
      done();
      return;
    }
    const parent = propagation.extract(context.active(), request.headers);
    const span = tracer.startSpan(
      route === undefined ? request.method : `${request.method} ${route}`,
      {
        kind: SpanKind.SERVER,
        attributes: {
          "http.request.method": request.method,
          "url.path": request.url.split("?")[0] ?? "/",
          ...(route === undefined ? {} : { "http.route": route }),
        },
      },
      parent,
    );
    request.instrumentation = { span, start: process.hrtime.bigint() };
    const { traceId, spanId } = span.spanContext();
    request.log = request.log.child({ trace_id: traceId, span_id: spanId });
    reply.log = request.log;
    // Everything the request does from here on runs inside the span's context.
    context.with(trace.setSpan(parent, span), done);
  });

  app.addHook("onResponse", (request, reply, done) => {
    const inst = request.instrumentation;
    if (inst === undefined) {
      done();
      return;
    }
    const seconds = Number(process.hrtime.bigint() - inst.start) / 1e9;
    const status = reply.statusCode;
    const route = routeOf(request);
    inst.span.setAttribute("http.response.status_code", status);
    if (status >= 500) {
      inst.span.setAttribute("error.type", String(status));
      inst.span.setStatus({ code: SpanStatusCode.ERROR });
    }
    inst.span.end();
    metrics.recordRequest({ method: request.method, route, status }, seconds);
    request.log.info(
      { method: request.method, route, status, duration_ms: Math.round(seconds * 1e6) / 1e3 },
      "request finished",
    );
    done();
  });

  app.get("/livez", (_request, reply) => reply.type("text/plain").send("ok"));

  app.get("/readyz", (_request, reply) =>
    app.readiness.get()
      ? reply.type("text/plain").send("ready")
      : reply.code(503).type("text/plain").send("shutting down"),
  );

  app.get("/metrics", async (_request, reply) => {
    const { contentType, body } = await metrics.exposition();
    return reply.type(contentType).send(body);
  });

  // The example endpoint. Replace it with the service's own API.
  app.get<{ Params: { name: string } }>("/v1/hello/:name", (request, reply) => {
    const { name } = request.params;
    if (Array.from(name).length > 64) { // characters (code points)
      return reply.code(400).send({ error: "name is longer than 64 characters" });
    }
    metrics.recordHello();
    request.log.debug({ name }, "greeting");
    return reply.send({ message: `Hello, ${name}!` });
  });

  app.setNotFoundHandler((_request, reply) => reply.code(404).send({ error: "not found" }));

  app.setErrorHandler((error, request, reply) => {
    const status = typeof error === "object" && error !== null && "statusCode" in error && typeof error.statusCode === "number" ? error.statusCode : 500;
    if (status >= 500) {
      request.log.error({ err: error }, "request failed");
      return reply.code(status).send({ error: "internal error" });
    }
    return reply.code(status).send({ error: error instanceof Error ? error.message : "bad request" });
  });

  return app;
}

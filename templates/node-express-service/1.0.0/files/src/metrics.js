// Prometheus metrics under the OpenTelemetry semantic-convention name: `http.server.request.duration`
// (seconds) is `http_server_request_duration_seconds_*` with `http_request_method`, `http_route`,
// `http_response_status_code` and, for 5xx, `error_type`. The example counter is
// `app_hello_requests_total`; the Node.js runtime metrics come along.
import { Counter, Histogram, Registry, collectDefaultMetrics } from "prom-client";

import { LATENCY_THRESHOLD_SECONDS } from "./objectives.js";

const ADVISED = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];

export function boundaries(threshold = LATENCY_THRESHOLD_SECONDS) {
  return (ADVISED.includes(threshold) ? [...ADVISED] : [...ADVISED, threshold]).sort((a, b) => a - b);
}

export function createMetrics({ runtimeMetrics = true } = {}) {
  const registry = new Registry();
  const requestDuration = new Histogram({
    name: "http_server_request_duration_seconds",
    help: "Duration of HTTP server requests.",
    labelNames: ["http_request_method", "http_route", "http_response_status_code", "error_type"],
    buckets: boundaries(),
    registers: [registry],
  });
  const helloRequests = new Counter({
    name: "app_hello_requests_total",
    help: "Greetings served by /v1/hello.",
    registers: [registry],
  });
  if (runtimeMetrics) {
    collectDefaultMetrics({ register: registry });
  }
  return {
    registry,
    recordRequest({ method, route, status }, seconds) {
      const labels = { http_request_method: method, http_response_status_code: String(status) };
      if (route !== undefined) labels.http_route = route;
      if (status >= 500) labels.error_type = String(status);
      requestDuration.observe(labels, seconds);
    },
    recordHello() {
      helloRequests.inc();
    },
  };
}

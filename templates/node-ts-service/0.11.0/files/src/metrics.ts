// Metrics in the Prometheus text format, named after the stable OpenTelemetry HTTP semantic
// conventions: `http.server.request.duration` (unit `s`) is exported as
// `http_server_request_duration_seconds_{bucket,sum,count}` with the labels
// `http_request_method`, `http_route`, `http_response_status_code` and, for 5xx responses,
// `error_type`. The service's own metrics live under `app_` (`app.hello.requests` is
// `app_hello_requests_total`); the Node.js runtime metrics of prom-client come along.
import { Counter, Histogram, Registry, collectDefaultMetrics } from "prom-client";

import { LATENCY_THRESHOLD_SECONDS } from "./objectives.js";

/** Bucket boundaries advised by the semantic conventions for `http.server.request.duration`. */
export const ADVISED_BOUNDARIES = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];

/** The advised boundaries plus the latency objective's threshold, so that the SLI is exact. */
export function boundaries(threshold: number = LATENCY_THRESHOLD_SECONDS): number[] {
  const all = ADVISED_BOUNDARIES.includes(threshold) ? [...ADVISED_BOUNDARIES] : [...ADVISED_BOUNDARIES, threshold];
  return all.sort((a, b) => a - b);
}

/** The attributes of one HTTP measurement. */
export interface RequestAttributes {
  /** `http.request.method`, e.g. `GET`. */
  method: string;
  /** `http.route`, the matched route template (`/v1/hello/:name`); undefined when no route matched. */
  route: string | undefined;
  /** `http.response.status_code`. */
  status: number;
}

type Label = "http_request_method" | "http_route" | "http_response_status_code" | "error_type";

export class Metrics {
  readonly registry: Registry;
  private readonly requestDuration: Histogram<Label>;
  private readonly helloRequests: Counter;

  constructor(options: { runtimeMetrics?: boolean } = {}) {
    this.registry = new Registry();
    this.requestDuration = new Histogram<Label>({
      name: "http_server_request_duration_seconds",
      help: "Duration of HTTP server requests.",
      labelNames: ["http_request_method", "http_route", "http_response_status_code", "error_type"],
      buckets: boundaries(),
      registers: [this.registry],
    });
    this.helloRequests = new Counter({
      name: "app_hello_requests_total",
      help: "Greetings served by /v1/hello.",
      registers: [this.registry],
    });
    if (options.runtimeMetrics ?? true) {
      collectDefaultMetrics({ register: this.registry });
    }
  }

  /** Records one finished HTTP request. */
  recordRequest(attrs: RequestAttributes, seconds: number): void {
    const labels: Partial<Record<Label, string>> = {
      http_request_method: attrs.method,
      http_response_status_code: String(attrs.status),
    };
    if (attrs.route !== undefined) {
      labels.http_route = attrs.route;
    }
    if (attrs.status >= 500) {
      labels.error_type = String(attrs.status);
    }
    this.requestDuration.observe(labels, seconds);
  }

  /** Counts one greeting. */
  recordHello(): void {
    this.helloRequests.inc();
  }

  /** The Prometheus text exposition. */
  async exposition(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}

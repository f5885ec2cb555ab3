import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { ADVISED_BOUNDARIES, boundaries, Metrics } from "../src/metrics.js";
import { LATENCY_THRESHOLD_SECONDS } from "../src/objectives.js";

describe("histogram boundaries", () => {
  it("contain the latency objective's threshold, sorted", () => {
    const b = boundaries();
    assert.ok(b.includes(LATENCY_THRESHOLD_SECONDS));
    assert.deepEqual(b, [...b].sort((x, y) => x - y));
  });

  it("do not repeat an advised boundary", () => {
    assert.deepEqual(boundaries(0.25), ADVISED_BOUNDARIES);
    assert.equal(boundaries(0.3).length, ADVISED_BOUNDARIES.length + 1);
  });

  it("are exported as an `le` bucket", async () => {
    const metrics = new Metrics({ runtimeMetrics: false });
    metrics.recordRequest({ method: "GET", route: "/v1/hello/:name", status: 200 }, 0.001);
    const { body } = await metrics.exposition();
    assert.match(body, new RegExp(`http_server_request_duration_seconds_bucket\\{le="${LATENCY_THRESHOLD_SECONDS}",`));
  });
});

describe("runtime metrics", () => {
  it("are on by default", async () => {
    const { body } = await new Metrics().exposition();
    assert.match(body, /^nodejs_eventloop_lag_p99_seconds /m);
  });
});

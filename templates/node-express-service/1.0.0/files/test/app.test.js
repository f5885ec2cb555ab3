// HTTP tests on a real socket (127.0.0.1, a free port) with node's built-in test runner.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";

import { createApp } from "../src/app.js";
import { createLogger } from "../src/logger.js";
import { boundaries, createMetrics } from "../src/metrics.js";
import { LATENCY_THRESHOLD_SECONDS } from "../src/objectives.js";

const logs = [];
const app = createApp({
  metrics: createMetrics({ runtimeMetrics: false }),
  logger: createLogger("info", { write: (line) => logs.push(JSON.parse(line)) }),
});
let server;
let base;

before(async () => {
  server = app.listen(0, "127.0.0.1");
  await new Promise((resolve) => server.once("listening", resolve));
  base = `http://127.0.0.1:${server.address().port}`;
});
after(() => server.close());

const get = (path) => fetch(base + path);

describe("node-express service", () => {
  it("answers the probes", async () => {
    assert.equal(await (await get("/livez")).text(), "ok");
    assert.equal((await get("/readyz")).status, 200);
  });

  it("greets and measures under the semantic-convention name", async () => {
    const response = await get("/v1/hello/ada");
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), { message: "Hello, ada!" });
    const text = await (await get("/metrics")).text();
    assert.match(text, /http_server_request_duration_seconds_count\{[^}]*http_route="\/v1\/hello\/:name"[^}]*\} 1/);
    assert.match(text, /^app_hello_requests_total 1$/m);
    assert.doesNotMatch(text, /http_route="\/livez"/);
    assert.ok(logs.some((l) => l.message === "request finished" && l.status === 200));
  });

  it("rejects long names and unknown paths with JSON", async () => {
    assert.equal((await get(`/v1/hello/${"a".repeat(65)}`)).status, 400);
    const response = await get("/nope");
    assert.equal(response.status, 404);
    assert.deepEqual(await response.json(), { error: "not found" });
  });

  it("fails /readyz while draining", async () => {
    app.locals.setReady(false);
    assert.equal((await get("/readyz")).status, 503);
    app.locals.setReady(true);
  });

  it("has the latency objective as a bucket boundary", () => {
    assert.ok(boundaries().includes(LATENCY_THRESHOLD_SECONDS));
  });
});

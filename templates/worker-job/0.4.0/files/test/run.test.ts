// A whole run against a fake Pushgateway on 127.0.0.1: what is pushed, where (the group of the
// job and its environment), and the exit code.
import assert from "node:assert/strict";
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, beforeEach, describe, it } from "node:test";

import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";

import { createLogger } from "../src/logger.js";
import { SERVICE_NAME } from "../src/objectives.js";
import { run } from "../src/run.js";

interface Push {
  method: string;
  url: string;
  body: string;
}

const pushes: Push[] = [];
let status = 200;
const server = createServer((req: IncomingMessage, res) => {
  let body = "";
  req.setEncoding("utf8");
  req.on("data", (chunk: string) => (body += chunk));
  req.on("end", () => {
    pushes.push({ method: req.method ?? "", url: req.url ?? "", body });
    res.writeHead(status).end();
  });
});
let gateway = "";

before(async () => {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  gateway = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => {
  server.close();
});
beforeEach(() => {
  pushes.length = 0;
  status = 200;
});

function harness() {
  const spans = new InMemorySpanExporter();
  const tracer = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] }).getTracer("test");
  const logs: Record<string, unknown>[] = [];
  const logger = createLogger("info", {
    write: (line: string) => {
      logs.push(JSON.parse(line) as Record<string, unknown>);
    },
  });
  let clock = 1_700_000_000_000;
  const now = () => (clock += 1500);
  return { spans, tracer, logs, logger, now };
}

describe("run", () => {
  it("pushes the metrics of a successful run with POST under job=<name> and its environment, and exits 0", async () => {
    const h = harness();
    const { exitCode, outcome } = await run({
      ...h,
      pushgateway: { url: gateway, environment: "production" },
      batchSize: 5,
      signal: new AbortController().signal,
    });
    assert.equal(exitCode, 0);
    assert.equal(outcome.itemsProcessed, 5);
    assert.equal(outcome.durationSeconds, 1.5);
    assert.equal(pushes.length, 1);
    const [push] = pushes;
    assert.ok(push);
    assert.equal(push.method, "POST");
    assert.equal(push.url, `/metrics/job/${SERVICE_NAME}/environment/production`);
    assert.match(push.body, /^job_last_success_timestamp_seconds 1700000001\.5$/m);
    assert.match(push.body, /^job_last_run_failed 0$/m);
    const [span] = h.spans.getFinishedSpans();
    assert.equal(span?.name, "job.run");
    const finished = h.logs.find((l) => l.message === "run finished");
    assert.ok(finished, JSON.stringify(h.logs));
    assert.match(String(finished.trace_id), /^[0-9a-f]{32}$/);
  });

  it("records a failed run, pushes it, and exits 1", async () => {
    const h = harness();
    const { exitCode } = await run({
      ...h,
      pushgateway: { url: gateway, environment: "production" },
      batchSize: 5,
      signal: new AbortController().signal,
      processItem: () => Promise.reject(new Error("downstream unavailable")),
    });
    assert.equal(exitCode, 1);
    assert.match(pushes[0]?.body ?? "", /^job_last_run_failed 1$/m);
    assert.doesNotMatch(pushes[0]?.body ?? "", /job_last_success_timestamp_seconds/);
    assert.ok(h.logs.some((l) => l.message === "run failed" && l.level === "error"));
  });

  it("keeps the run's outcome when the push fails", async () => {
    status = 500;
    const h = harness();
    const { exitCode } = await run({
      ...h,
      pushgateway: { url: gateway, environment: "production" },
      batchSize: 1,
      signal: new AbortController().signal,
    });
    assert.equal(exitCode, 0);
    assert.ok(h.logs.some((l) => l.message === "run finished, but its metrics could not be pushed"));
  });

  it("pushes staging and production runs to separate groups, so neither overwrites the other", async () => {
    for (const environment of ["staging", "production"]) {
      const h = harness();
      await run({ ...h, pushgateway: { url: gateway, environment }, batchSize: 1, signal: new AbortController().signal });
    }
    assert.deepEqual(
      pushes.map((p) => p.url),
      [`/metrics/job/${SERVICE_NAME}/environment/staging`, `/metrics/job/${SERVICE_NAME}/environment/production`],
    );
  });

  it("runs without a Pushgateway", async () => {
    const h = harness();
    const { exitCode } = await run({ ...h, pushgateway: undefined, batchSize: 1, signal: new AbortController().signal });
    assert.equal(exitCode, 0);
    assert.equal(pushes.length, 0);
  });
});

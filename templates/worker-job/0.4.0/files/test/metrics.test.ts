import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { runRegistry } from "../src/metrics.js";

const success = { startedAtMs: 1_700_000_000_000, durationSeconds: 12.5, succeeded: true, itemsProcessed: 7 };

describe("run metrics", () => {
  it("describe a successful run", async () => {
    const text = await runRegistry(success).metrics();
    assert.match(text, /^job_last_run_timestamp_seconds 1700000000$/m);
    assert.match(text, /^job_last_success_timestamp_seconds 1700000000$/m);
    assert.match(text, /^job_last_run_duration_seconds 12.5$/m);
    assert.match(text, /^job_last_run_failed 0$/m);
    assert.match(text, /^app_items_processed 7$/m);
  });

  it("leave the last success out of a failed run, so that the previous one survives", async () => {
    const text = await runRegistry({ ...success, succeeded: false }).metrics();
    assert.doesNotMatch(text, /job_last_success_timestamp_seconds/);
    assert.match(text, /^job_last_run_failed 1$/m);
    assert.match(text, /^job_last_run_timestamp_seconds 1700000000$/m);
  });
});

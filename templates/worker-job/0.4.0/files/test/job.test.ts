import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { work } from "../src/job.js";
import { createLogger } from "../src/logger.js";

const logger = createLogger("silent");

describe("work", () => {
  it("processes every loaded item, up to the batch size", async () => {
    const seen: string[] = [];
    const result = await work({
      logger,
      batchSize: 3,
      signal: new AbortController().signal,
      loadItems: (limit) => Promise.resolve(Array.from({ length: limit }, (_, i) => ({ id: `x${i}` }))),
      processItem: (item) => {
        seen.push(item.id);
        return Promise.resolve();
      },
    });
    assert.deepEqual(result, { itemsProcessed: 3 });
    assert.deepEqual(seen, ["x0", "x1", "x2"]);
  });

  it("runs the example work by default", async () => {
    const result = await work({ logger, batchSize: 100, signal: new AbortController().signal });
    assert.equal(result.itemsProcessed, 10);
  });

  it("stops when aborted", async () => {
    const abort = new AbortController();
    abort.abort(new Error("stopped by SIGTERM"));
    await assert.rejects(work({ logger, batchSize: 5, signal: abort.signal }), /stopped by SIGTERM/);
  });
});

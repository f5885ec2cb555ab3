// One run, instrumented: a root span `job.run`, JSON log lines at start and end, and the run's
// metrics pushed to the Pushgateway whatever the outcome. Returns the process exit code.
import { SpanStatusCode, type Tracer } from "@opentelemetry/api";
import type { Logger } from "pino";

import { work, type WorkOptions } from "./job.js";
import { pushRunMetrics, type PushTarget, type RunOutcome } from "./metrics.js";
import { DURATION_THRESHOLD_SECONDS, SCHEDULE } from "./objectives.js";

export interface RunOptions extends Omit<WorkOptions, "logger"> {
  logger: Logger;
  tracer: Tracer;
  /** Where the metrics are pushed; undefined: they are only logged. */
  pushgateway: PushTarget | undefined;
  /** The clock, in milliseconds since the Unix epoch (tests pass their own). */
  now?: () => number;
}

export async function run(options: RunOptions): Promise<{ exitCode: number; outcome: RunOutcome }> {
  const now = options.now ?? Date.now;
  const startedAtMs = now();
  return options.tracer.startActiveSpan("job.run", async (span) => {
    const { traceId } = span.spanContext();
    const logger = options.logger.child({ trace_id: traceId });
    logger.info({ schedule: SCHEDULE, batch_size: options.batchSize }, "run started");
    let succeeded = false;
    let itemsProcessed = 0;
    try {
      ({ itemsProcessed } = await work({ ...options, logger }));
      succeeded = true;
    } catch (error) {
      span.recordException(error instanceof Error ? error : String(error));
      span.setStatus({ code: SpanStatusCode.ERROR });
      logger.error({ err: error }, "run failed");
    }
    const durationSeconds = (now() - startedAtMs) / 1000;
    span.setAttribute("app.items_processed", itemsProcessed);
    span.end();
    const outcome: RunOutcome = { startedAtMs, durationSeconds, succeeded, itemsProcessed };
    const fields = { succeeded, items_processed: itemsProcessed, duration_seconds: durationSeconds };
    if (durationSeconds > DURATION_THRESHOLD_SECONDS) {
      logger.warn({ ...fields, threshold_seconds: DURATION_THRESHOLD_SECONDS }, "run slower than its objective");
    }
    if (options.pushgateway === undefined) {
      logger.info(fields, "run finished (PUSHGATEWAY_URL unset: metrics not pushed)");
    } else {
      try {
        await pushRunMetrics(options.pushgateway, outcome);
        logger.info(fields, "run finished");
      } catch (error) {
        // The work is done: retrying it would not fix the push. The staleness alert notices
        // when pushes keep failing.
        logger.error({ ...fields, err: error }, "run finished, but its metrics could not be pushed");
      }
    }
    return { exitCode: succeeded ? 0 : 1, outcome };
  });
}

// Entry point: the HTTP server, and a graceful shutdown that fails /readyz for
// SHUTDOWN_DELAY_SECONDS before closing the server.
import { setTimeout as sleep } from "node:timers/promises";

import { createApp } from "./app.js";
import { createLogger } from "./logger.js";
import { createMetrics } from "./metrics.js";

const port = Number(process.env.PORT ?? 8080);
const delay = Number(process.env.SHUTDOWN_DELAY_SECONDS ?? 5);
const logger = createLogger(process.env.LOG_LEVEL ?? "info");
const app = createApp({ metrics: createMetrics(), logger });

const server = app.listen(port, () => logger.info({ port }, "listening"));

async function stop(signal) {
  logger.info({ signal, delay_seconds: delay }, "shutting down: draining");
  app.locals.setReady(false);
  await sleep(delay * 1000);
  server.close(() => {
    logger.info("stopped");
    process.exit(0);
  });
}
process.once("SIGTERM", () => void stop("SIGTERM"));
process.once("SIGINT", () => void stop("SIGINT"));

// Entry point: configuration, telemetry, the HTTP server, and a graceful shutdown that first
// fails /readyz for SHUTDOWN_DELAY_SECONDS (so the load balancer stops sending traffic), then
// closes the server and flushes the spans (for at most 5 seconds).
import { readFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";

import { buildApp } from "./app.js";
import { loadConfig } from "./config.js";
import { createLogger } from "./logger.js";
import { Metrics } from "./metrics.js";
import { startTelemetry } from "./telemetry.js";

function packageVersion(): string {
  const url = new URL("../../package.json", import.meta.url);
  const pkg = JSON.parse(readFileSync(url, "utf8")) as { version?: string };
  return pkg.version ?? "0.0.0";
}

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.logLevel);
  const telemetry = startTelemetry({ otlpEndpoint: config.otlpEndpoint, version: packageVersion() });
  const app = buildApp({ metrics: new Metrics(), logger, tracer: telemetry.tracer });

  let stopping = false;
  const stop = async (signal: string): Promise<void> => {
    if (stopping) {
      return;
    }
    stopping = true;
    logger.info({ signal, delay_seconds: config.shutdownDelaySeconds }, "shutting down: draining");
    app.readiness.set(false);
    await sleep(config.shutdownDelaySeconds * 1000);
    await app.close();
    // Flush the last spans, but never past the pod's termination grace period.
    await Promise.race([telemetry.shutdown(), sleep(5000, undefined, { ref: false })]);
    logger.info("stopped");
    process.exit(0);
  };
  process.once("SIGTERM", () => void stop("SIGTERM"));
  process.once("SIGINT", () => void stop("SIGINT"));

  await app.listen({ port: config.port, host: config.host });
  logger.info({ port: config.port, traces: config.otlpEndpoint !== undefined }, "listening");
}

main().catch((error: unknown) => {
  console.error(JSON.stringify({ level: "fatal", message: "cannot start", error: String(error) }));
  process.exit(1);
});

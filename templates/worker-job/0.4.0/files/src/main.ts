// Entry point of one run: configuration, telemetry, the work, metrics, exit code. SIGTERM (the
// run's deadline, a node drain) aborts the work; the run is then recorded as failed.
import { readFileSync } from "node:fs";

import { loadConfig } from "./config.js";
import { createLogger } from "./logger.js";
import { run } from "./run.js";
import { startTelemetry } from "./telemetry.js";

function packageVersion(): string {
  const url = new URL("../../package.json", import.meta.url);
  const pkg = JSON.parse(readFileSync(url, "utf8")) as { version?: string };
  return pkg.version ?? "0.0.0";
}

async function main(): Promise<number> {
  const config = loadConfig();
  const logger = createLogger(config.logLevel);
  const telemetry = startTelemetry({ otlpEndpoint: config.otlpEndpoint, version: packageVersion() });
  const abort = new AbortController();
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    process.once(signal, () => {
      logger.warn({ signal }, "stopping the run");
      abort.abort(new Error(`stopped by ${signal}`));
    });
  }
  const { exitCode } = await run({
    logger,
    tracer: telemetry.tracer,
    pushgateway: config.pushgateway,
    batchSize: config.batchSize,
    signal: abort.signal,
  });
  // Flush the spans, but never for longer than 5 seconds.
  await Promise.race([telemetry.shutdown(), new Promise((resolve) => setTimeout(resolve, 5000).unref())]);
  return exitCode;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(JSON.stringify({ level: "fatal", message: "cannot run", error: String(error) }));
    process.exit(2);
  },
);

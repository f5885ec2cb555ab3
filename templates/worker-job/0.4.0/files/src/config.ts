// Runtime configuration, read once from the environment and validated.
import type { PushTarget } from "./metrics.js";

export interface Config {
  /** pino level: fatal, error, warn, info, debug or trace. */
  logLevel: string;
  /**
   * Where the run pushes its metrics: the Pushgateway's base URL and the environment the run
   * belongs to, the `environment` label of its group; undefined: metrics are only logged.
   */
  pushgateway: PushTarget | undefined;
  /** OTLP/HTTP endpoint for traces; undefined: spans are not exported. */
  otlpEndpoint: string | undefined;
  /** How many items one run processes at most (the example work). */
  batchSize: number;
}

const LEVELS = new Set(["fatal", "error", "warn", "info", "debug", "trace", "silent"]);

function integer(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === "") {
    return fallback;
  }
  if (!/^[0-9]+$/.test(raw)) {
    throw new Error(`${name} must be a whole number, got "${raw}"`);
  }
  const value = Number(raw);
  if (value < min || value > max) {
    throw new Error(`${name} must be between ${min} and ${max}, got ${value}`);
  }
  return value;
}

function optionalUrl(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const raw = env[name]?.trim();
  if (raw === undefined || raw === "") {
    return undefined;
  }
  if (!URL.canParse(raw) || !/^https?:$/.test(new URL(raw).protocol)) {
    throw new Error(`${name} must be an http(s) URL, got "${raw}"`);
  }
  return raw;
}

// A Kubernetes-style name: the overlays set staging or production.
const ENVIRONMENT = /^[a-z][a-z0-9-]{0,62}$/;

/**
 * PUSHGATEWAY_URL and DEPLOY_ENVIRONMENT. Every environment pushes to the same Pushgateway, so a
 * push without its environment would overwrite the other environment's group and carry no
 * `environment` label for queries to select: with a URL, the environment is
 * required.
 */
function pushTarget(env: NodeJS.ProcessEnv): PushTarget | undefined {
  const url = optionalUrl(env, "PUSHGATEWAY_URL");
  const environment = env.DEPLOY_ENVIRONMENT?.trim() ?? "";
  if (environment !== "" && !ENVIRONMENT.test(environment)) {
    throw new Error(
      `DEPLOY_ENVIRONMENT must be lowercase letters, digits and dashes (e.g. production), got "${environment}"`,
    );
  }
  if (url === undefined) {
    return undefined;
  }
  if (environment === "") {
    throw new Error(
      "DEPLOY_ENVIRONMENT must be set when PUSHGATEWAY_URL is: it labels the pushed metrics (staging, production)",
    );
  }
  return { url, environment };
}

/** Reads the configuration; throws an Error naming the variable when a value is invalid. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const logLevel = (env.LOG_LEVEL ?? "info").toLowerCase();
  if (!LEVELS.has(logLevel)) {
    throw new Error(`LOG_LEVEL must be one of ${[...LEVELS].join(", ")}, got "${logLevel}"`);
  }
  return {
    logLevel,
    pushgateway: pushTarget(env),
    otlpEndpoint: optionalUrl(env, "OTEL_EXPORTER_OTLP_ENDPOINT"),
    batchSize: integer(env, "BATCH_SIZE", 100, 1, 1_000_000),
  };
}

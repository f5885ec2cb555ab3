// Runtime configuration, read once from the environment and validated.

export interface Config {
  /** pino level: fatal, error, warn, info, debug or trace. */
  logLevel: string;
  /** Base URL of the Prometheus Pushgateway; undefined: metrics are only logged. */
  pushgatewayUrl: string | undefined;
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

/** Reads the configuration; throws an Error naming the variable when a value is invalid. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const logLevel = (env.LOG_LEVEL ?? "info").toLowerCase();
  if (!LEVELS.has(logLevel)) {
    throw new Error(`LOG_LEVEL must be one of ${[...LEVELS].join(", ")}, got "${logLevel}"`);
  }
  return {
    logLevel,
    pushgatewayUrl: optionalUrl(env, "PUSHGATEWAY_URL"),
    otlpEndpoint: optionalUrl(env, "OTEL_EXPORTER_OTLP_ENDPOINT"),
    batchSize: integer(env, "BATCH_SIZE", 100, 1, 1_000_000),
  };
}

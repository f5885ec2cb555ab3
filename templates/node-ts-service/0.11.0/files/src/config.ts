// Runtime configuration, read once from the environment and validated.

export interface Config {
  /** TCP port of the HTTP server. */
  port: number;
  /** Address to listen on. */
  host: string;
  /** pino level: fatal, error, warn, info, debug or trace. */
  logLevel: string;
  /** How long /readyz fails after SIGTERM before the server stops, in seconds. */
  shutdownDelaySeconds: number;
  /** OTLP/HTTP endpoint for traces; undefined: spans are not exported. */
  otlpEndpoint: string | undefined;
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

/** Reads the configuration; throws an Error naming the variable when a value is invalid. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const logLevel = (env.LOG_LEVEL ?? "info").toLowerCase();
  if (!LEVELS.has(logLevel)) {
    throw new Error(`LOG_LEVEL must be one of ${[...LEVELS].join(", ")}, got "${logLevel}"`);
  }
  const endpoint = env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim();
  return {
    port: integer(env, "PORT", 8080, 1, 65535),
    host: env.HOST ?? "0.0.0.0",
    logLevel,
    shutdownDelaySeconds: integer(env, "SHUTDOWN_DELAY_SECONDS", 5, 0, 300),
    otlpEndpoint: endpoint === undefined || endpoint === "" ? undefined : endpoint,
  };
}

import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { loadConfig } from "../src/config.js";

describe("loadConfig", () => {
  it("has defaults", () => {
    assert.deepEqual(loadConfig({}), {
      port: 8080,
      host: "0.0.0.0",
      logLevel: "info",
      shutdownDelaySeconds: 5,
      otlpEndpoint: undefined,
    });
  });

  it("reads the environment", () => {
    const config = loadConfig({
      PORT: "9090",
      LOG_LEVEL: "DEBUG",
      SHUTDOWN_DELAY_SECONDS: "0",
      OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318",
    });
    assert.equal(config.port, 9090);
    assert.equal(config.logLevel, "debug");
    assert.equal(config.shutdownDelaySeconds, 0);
    assert.equal(config.otlpEndpoint, "http://collector:4318");
  });

  it("names the variable that is wrong", () => {
    assert.throws(() => loadConfig({ PORT: "http" }), /PORT must be a whole number/);
    assert.throws(() => loadConfig({ PORT: "70000" }), /PORT must be between 1 and 65535/);
    assert.throws(() => loadConfig({ LOG_LEVEL: "loud" }), /LOG_LEVEL must be one of/);
  });
});

import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { loadConfig } from "../src/config.js";

describe("loadConfig", () => {
  it("has defaults", () => {
    assert.deepEqual(loadConfig({}), {
      logLevel: "info",
      pushgateway: undefined,
      otlpEndpoint: undefined,
      batchSize: 100,
    });
  });

  it("reads the environment", () => {
    const config = loadConfig({
      LOG_LEVEL: "DEBUG",
      PUSHGATEWAY_URL: "http://pushgateway.monitoring:9091",
      DEPLOY_ENVIRONMENT: "staging",
      OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318",
      BATCH_SIZE: "500",
    });
    assert.equal(config.logLevel, "debug");
    assert.deepEqual(config.pushgateway, { url: "http://pushgateway.monitoring:9091", environment: "staging" });
    assert.equal(config.otlpEndpoint, "http://collector:4318");
    assert.equal(config.batchSize, 500);
  });

  it("names the variable that is wrong", () => {
    assert.throws(() => loadConfig({ BATCH_SIZE: "many" }), /BATCH_SIZE must be a whole number/);
    assert.throws(() => loadConfig({ BATCH_SIZE: "0" }), /BATCH_SIZE must be between/);
    assert.throws(() => loadConfig({ PUSHGATEWAY_URL: "pushgateway:9091" }), /PUSHGATEWAY_URL must be an http\(s\) URL/);
    assert.throws(() => loadConfig({ LOG_LEVEL: "loud" }), /LOG_LEVEL must be one of/);
    assert.throws(
      () => loadConfig({ PUSHGATEWAY_URL: "http://pushgateway:9091", DEPLOY_ENVIRONMENT: "Production" }),
      /DEPLOY_ENVIRONMENT must be lowercase letters, digits and dashes/,
    );
  });

  it("refuses to push without the environment, which would mix staging and production", () => {
    assert.throws(
      () => loadConfig({ PUSHGATEWAY_URL: "http://pushgateway:9091" }),
      /DEPLOY_ENVIRONMENT must be set when PUSHGATEWAY_URL is/,
    );
    assert.throws(
      () => loadConfig({ PUSHGATEWAY_URL: "http://pushgateway:9091", DEPLOY_ENVIRONMENT: " " }),
      /DEPLOY_ENVIRONMENT must be set when PUSHGATEWAY_URL is/,
    );
  });

  it("needs no environment when nothing is pushed", () => {
    assert.equal(loadConfig({ DEPLOY_ENVIRONMENT: "staging" }).pushgateway, undefined);
  });
});

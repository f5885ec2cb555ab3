// The HTTP surface: /livez, /readyz (503 while draining), /metrics and the example API. One
// middleware measures every API request; probes and /metrics are not measured.
import express from "express";

const UNMEASURED = new Set(["/livez", "/readyz", "/metrics"]);

export function createApp({ metrics, logger }) {
  const app = express();
  app.disable("x-powered-by");
  const state = { ready: true };
  app.locals.setReady = (ready) => {
    state.ready = ready;
  };

  app.use((req, res, next) => {
    if (UNMEASURED.has(req.path)) return next();
    const start = process.hrtime.bigint();
    res.on("finish", () => {
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      // The matched route template (`/v1/hello/:name`); undefined when no route matched.
      const route = req.route ? req.baseUrl + req.route.path : undefined;
      metrics.recordRequest({ method: req.method, route, status: res.statusCode }, seconds);
      logger.info(
        { method: req.method, route, status: res.statusCode, duration_ms: Math.round(seconds * 1e6) / 1e3 },
        "request finished",
      );
    });
    next();
  });

  app.get("/livez", (_req, res) => res.type("text/plain").send("ok"));
  app.get("/readyz", (_req, res) =>
    state.ready ? res.type("text/plain").send("ready") : res.status(503).type("text/plain").send("shutting down"),
  );
  app.get("/metrics", async (_req, res) => {
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });

  // The example endpoint. Replace it with the service's own API.
  app.get("/v1/hello/:name", (req, res) => {
    const { name } = req.params;
    if (Array.from(name).length > 64) {
      return res.status(400).json({ error: "name is longer than 64 characters" });
    }
    metrics.recordHello();
    return res.json({ message: `Hello, ${name}!` });
  });

  app.use((_req, res) => res.status(404).json({ error: "not found" }));
  app.use((err, _req, res, _next) => {
    logger.error({ err }, "request failed");
    res.status(500).json({ error: "internal error" });
  });
  return app;
}

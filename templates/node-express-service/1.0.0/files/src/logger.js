// JSON logs on stdout (pino): level as a word, ISO timestamp, the service name.
import { pino } from "pino";

import { SERVICE_NAME } from "./objectives.js";

export function createLogger(level = "info", destination = undefined) {
  const options = {
    level,
    base: { service: SERVICE_NAME },
    messageKey: "message",
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  };
  return destination === undefined ? pino(options) : pino(options, destination);
}

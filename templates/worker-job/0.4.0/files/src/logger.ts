// Structured logs: one JSON object per line on stdout (pino), with the level as a word, an ISO
// timestamp and the service name, ready for the platform's log pipeline.
import { pino, type Logger } from "pino";

import { SERVICE_NAME } from "./objectives.js";

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  const options: pino.LoggerOptions = {
    level,
    base: { service: SERVICE_NAME },
    messageKey: "message",
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: {
      level: (label) => ({ level: label }),
    },
  };
  return destination === undefined ? pino(options) : pino(options, destination);
}

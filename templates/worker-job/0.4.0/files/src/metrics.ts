// Run metrics, pushed to the Prometheus Pushgateway at the end of every run (a CronJob's pod
// lives too briefly to be scraped). They are gauges describing the last run of one environment,
// grouped under job="<job name>" and environment="<DEPLOY_ENVIRONMENT>", labels every series
// gets: staging and production push to the same Pushgateway, each to its own group.
//
//   job_last_run_timestamp_seconds       when the last run started (Unix seconds)
//   job_last_success_timestamp_seconds   when the last successful run started; a failed run
//                                        does not push it, so it keeps the previous success
//   job_last_run_duration_seconds        how long the last run took
//   job_last_run_failed                  1 when the last run failed, 0 when it succeeded
//   app_items_processed                  items the last run processed (example business metric)
//
// The push is a POST: it replaces only the metrics it carries, so the last success survives
// failed runs. These are the team's metrics: the platform's run SLIs, dashboard and alerts in
// observability/ read the CronJob and its Jobs from kube-state-metrics instead.
import { Gauge, Pushgateway, Registry } from "prom-client";

import { SERVICE_NAME } from "./objectives.js";

/** Where a run's metrics go: the Pushgateway and the `environment` label of their group. */
export interface PushTarget {
  /** Base URL of the Pushgateway. */
  url: string;
  /** The environment the run belongs to (staging, production). */
  environment: string;
}

export interface RunOutcome {
  /** Start of the run, in milliseconds since the Unix epoch. */
  startedAtMs: number;
  durationSeconds: number;
  succeeded: boolean;
  itemsProcessed: number;
}

/** The registry of one run's metrics. */
export function runRegistry(outcome: RunOutcome): Registry {
  const registry = new Registry();
  const gauge = (name: string, help: string, value: number): void => {
    new Gauge({ name, help, registers: [registry] }).set(value);
  };
  const started = outcome.startedAtMs / 1000;
  gauge("job_last_run_timestamp_seconds", "Start of the last run, in Unix seconds.", started);
  if (outcome.succeeded) {
    gauge("job_last_success_timestamp_seconds", "Start of the last successful run, in Unix seconds.", started);
  }
  gauge("job_last_run_duration_seconds", "Duration of the last run, in seconds.", outcome.durationSeconds);
  gauge("job_last_run_failed", "1 when the last run failed, 0 when it succeeded.", outcome.succeeded ? 0 : 1);
  gauge("app_items_processed", "Items the last run processed.", outcome.itemsProcessed);
  return registry;
}

/** Pushes one run's metrics to the Pushgateway under job="<job name>", environment="<environment>". */
export async function pushRunMetrics(target: PushTarget, outcome: RunOutcome, timeoutMs = 10_000): Promise<void> {
  const gateway = new Pushgateway(target.url, { timeout: timeoutMs }, runRegistry(outcome));
  await gateway.pushAdd({ jobName: SERVICE_NAME, groupings: { environment: target.environment } });
}

// The work of one run. Replace `processItem` and `loadItems` with the job's own work; keep it
// idempotent: a run may be retried (backoffLimit) or started by hand, and must then not do the
// work twice.
import type { Logger } from "pino";

export interface Item {
  id: string;
}

export interface WorkOptions {
  logger: Logger;
  batchSize: number;
  /** Aborted on SIGTERM (a newer deploy, node drain, or the run's deadline). */
  signal: AbortSignal;
  /** Where the items come from; the default is an example source. */
  loadItems?: (limit: number) => Promise<Item[]>;
  /** What happens to one item; the default is an example that does nothing. */
  processItem?: (item: Item) => Promise<void>;
}

export interface WorkResult {
  itemsProcessed: number;
}

async function exampleItems(limit: number): Promise<Item[]> {
  return Promise.resolve(Array.from({ length: Math.min(limit, 10) }, (_, i) => ({ id: `item-${i + 1}` })));
}

async function exampleProcess(): Promise<void> {
  return Promise.resolve();
}

/** Runs the job once; throws when the run fails (the caller records and reports it). */
export async function work(options: WorkOptions): Promise<WorkResult> {
  const load = options.loadItems ?? exampleItems;
  const process = options.processItem ?? exampleProcess;
  const items = await load(options.batchSize);
  options.logger.info({ items: items.length }, "items loaded");
  let itemsProcessed = 0;
  for (const item of items) {
    options.signal.throwIfAborted();
    await process(item);
    itemsProcessed += 1;
    options.logger.debug({ item: item.id }, "item processed");
  }
  return { itemsProcessed };
}

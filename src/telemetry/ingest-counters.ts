import { Histogram } from 'prom-client';
import type { RefusalReason } from './codecs/types.js';

export type RefusalCause =
  | RefusalReason
  | 'unknown_device'
  | 'inactive_device'
  | 'too_large'
  | 'not_authorized'
  | 'storage_error';

/**
 * Counts of what ingest accepted and refused; /metrics reads them at scrape time (src/observability). The
 * hot path only adds to plain numbers and maps keyed by a handful of sources and causes — O(1), no label
 * sets built per message. Commit latency is a Prometheus histogram observed once per batch, not per point.
 */
export class IngestCounters {
  pointsIngested = 0;
  messagesIngested = 0;
  readonly pointsBySource = new Map<string, number>();
  readonly messagesBySource = new Map<string, number>();
  readonly refused = new Map<RefusalCause, number>();
  batches = 0;
  batchPoints = 0;
  /** Seconds per group commit (one transaction); registered in the app's metrics registry by observability. */
  readonly commitSeconds = new Histogram({
    name: 'fieldline_telemetry_commit_seconds',
    help: 'Time to commit one batch of telemetry points (one transaction).',
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [],
  });
  /** Points per committed batch. */
  readonly batchSize = new Histogram({
    name: 'fieldline_telemetry_batch_points',
    help: 'Telemetry points per committed batch.',
    buckets: [1, 10, 100, 1000, 5000, 20000],
    registers: [],
  });

  accepted(source: string, points: number): void {
    this.messagesIngested++;
    this.pointsIngested += points;
    this.pointsBySource.set(source, (this.pointsBySource.get(source) ?? 0) + points);
    this.messagesBySource.set(source, (this.messagesBySource.get(source) ?? 0) + 1);
  }

  refusedOne(cause: RefusalCause): void {
    this.refused.set(cause, (this.refused.get(cause) ?? 0) + 1);
  }

  committed(points: number, seconds: number): void {
    this.batches++;
    this.batchPoints += points;
    this.commitSeconds.observe(seconds);
    this.batchSize.observe(points);
  }

  refusedTotal(): number {
    let n = 0;
    for (const v of this.refused.values()) n += v;
    return n;
  }
}

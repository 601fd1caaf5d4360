import type { Reading } from './codecs/types.js';

/** The points of one device from one message, as the group-commit batcher collects them. */
export interface PointBatchItem {
  deviceId: string;
  readings: Reading[];
}

/** Writes batches of points in one transaction, and the latest value per series beside them. */
export interface PointWriter {
  write(items: PointBatchItem[]): Promise<void> | void;
  /** Forgets cached series ids of a device (after its telemetry was deleted). */
  forgetDevice(deviceId: string): void;
  /** Releases what the writer holds (the SQLite writer thread) once the last batch was written. */
  close(): Promise<void>;
}

export const seriesKey = (deviceId: string, key: string): string => `${deviceId}\u0000${key}`;

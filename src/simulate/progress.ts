import { percentile, type SimulationStats } from './simulator.js';

const count = (n: number) => n.toLocaleString('en-US');
const ms = (v: number | null) => (v === null ? '–' : `${v.toFixed(1)} ms`);
const seconds = (stats: SimulationStats, now: number) => Math.max(0.001, (now - stats.startedAt) / 1000);

/**
 * Live progress on the terminal: one line rewritten in place (`\r`, erase to end of line) when the output is
 * a terminal, plain lines otherwise, so logs and CI output stay readable.
 */
export class ProgressReporter {
  private last = { at: 0, acked: 0 };

  constructor(
    private readonly out: { write(s: string): unknown; isTTY?: boolean },
    private readonly now: () => number = Date.now,
  ) {}

  get interactive(): boolean {
    return this.out.isTTY === true;
  }

  update(stats: SimulationStats): void {
    const now = this.now();
    const since = this.last.at === 0 ? seconds(stats, now) : Math.max(0.001, (now - this.last.at) / 1000);
    const rate = (stats.acked - this.last.acked) / since;
    this.last = { at: now, acked: stats.acked };
    const line = [
      `${seconds(stats, now).toFixed(1)}s`,
      `devices ${stats.connected}/${stats.devices}`,
      `sent ${count(stats.sent)}`,
      `acked ${count(stats.acked)}`,
      `errors ${count(stats.failed)}`,
      `${rate.toFixed(1)} msg/s (${count(Math.round(rate * 4))} points/s)`,
      `p99 ${ms(percentile(stats.latencies, 99))}`,
      ...(stats.skipped > 0 ? [`skipped ${count(stats.skipped)}`] : []),
    ].join(' | ');
    this.out.write(this.interactive ? `\r${line}\x1b[K` : `${line}\n`);
  }

  /** Ends the live line so the summary starts on its own. */
  finish(): void {
    if (this.interactive && this.last.at !== 0) this.out.write('\n');
  }
}

/** The end-of-run summary. */
export function summary(stats: SimulationStats, ids: readonly string[], target: number, now = Date.now()): string {
  const elapsed = seconds(stats, now);
  const first = ids[0] ?? '';
  const lastId = ids[ids.length - 1] ?? '';
  const lines = [
    `Simulation finished after ${elapsed.toFixed(1)} s`,
    `  devices      ${ids.length}${ids.length > 1 ? ` (${first} … ${lastId})` : ids.length === 1 ? ` (${first})` : ''}`,
    `  messages     sent ${count(stats.sent)}, acknowledged ${count(stats.acked)}, failed ${count(stats.failed)}${
      stats.skipped > 0 ? `, skipped ${count(stats.skipped)} (device not connected or too many unacknowledged)` : ''
    }`,
    `  points       ${count(stats.points)} (${count(Math.round(stats.points / elapsed))}/s)`,
    `  rate         ${(stats.acked / elapsed).toFixed(1)} msg/s acknowledged (target ${target})`,
    `  publish→ack  p50 ${ms(percentile(stats.latencies, 50))}, p99 ${ms(percentile(stats.latencies, 99))}`,
  ];
  if (stats.lastError) lines.push(`  last error   ${stats.lastError}`);
  return `${lines.join('\n')}\n`;
}

/**
 * CPU time of each thread of a process, from /proc (Linux): how the benchmarks tell the MQTT thread's share from
 * the writer's, checkpointer's and V8's. Resolution is the kernel's clock tick (10 ms), fine over seconds.
 */
import { readdirSync, readFileSync } from 'node:fs';

const TICK_US = 10_000; // USER_HZ is 100 on Linux

/** tid → user + system CPU µs; a thread that exited meanwhile is simply absent. */
export function threadCpuUs(pid: number): Map<number, number> {
  const out = new Map<number, number>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    } catch {
      continue;
    }
    // Fields after the parenthesised name: state is 3rd, utime 14th and stime 15th of the whole line.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    out.set(Number(tid), (Number(fields[11]) + Number(fields[12])) * TICK_US);
  }
  return out;
}

/** CPU µs between two samples: the main thread (tid = pid) and all the others. */
export function cpuBetween(
  pid: number,
  before: Map<number, number>,
  after: Map<number, number>,
): { main: number; others: number } {
  let main = 0;
  let others = 0;
  for (const [tid, us] of after) {
    const used = us - (before.get(tid) ?? 0);
    if (tid === pid) main += used;
    else others += used;
  }
  return { main, others };
}

/**
 * Sums up a V8 CPU profile (`node --cpu-prof`, e.g. from `CPU_PROF_DIR=… npm run bench -- ingest`): the share of
 * samples by package (or by file of this project) and the functions with the most self time.
 * Usage: node --import tsx bench/_cpu-profile-summary.ts [--top N] file.cpuprofile… (one summary per file: a
 * file per thread)
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

const args = process.argv.slice(2);
const topAt = args.indexOf('--top');
const top = topAt >= 0 ? Number(args[topAt + 1]) : 25;
const files = args.filter((a, i) => a !== '--top' && i !== topAt + 1);
if (files.length === 0 || !(top > 0)) throw new Error('usage: _cpu-profile-summary.ts [--top N] file.cpuprofile…');

/** node_modules/<package>, a file of this project, node's own modules, or V8's pseudo-frames ((idle), (gc)…). */
function placeOf(url: string, name: string): string {
  if (!url) return name.startsWith('(') ? name : '(native)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1] as string;
  if (url.startsWith('node:')) return 'node:*';
  const own = /\/(src|bench|test)\/(.+)$/.exec(url);
  return own ? `${own[1]}/${own[2]}` : url;
}

function summarize(file: string): void {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  const places = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const node = byId.get(id);
    if (!node) return;
    const us = profile.timeDeltas[i] ?? 0;
    const { functionName, url, lineNumber } = node.callFrame;
    const place = placeOf(url, functionName);
    const fn = `${functionName || '(anonymous)'} ${place}:${lineNumber + 1}`;
    self.set(fn, (self.get(fn) ?? 0) + us);
    places.set(place, (places.get(place) ?? 0) + us);
    total += us;
  });
  const busy = total - (places.get('(idle)') ?? 0);
  const show = (m: Map<string, number>) =>
    [...m]
      .filter(([k]) => !k.startsWith('(idle)'))
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([k, us]) => `${((100 * us) / busy).toFixed(1).padStart(5)}%  ${(us / 1e6).toFixed(2).padStart(7)} s  ${k}`)
      .join('\n');
  console.log(`${file}: ${(total / 1e6).toFixed(1)} s sampled, ${(busy / 1e6).toFixed(1)} s busy (shares are of busy)`);
  console.log(`\nby place:\n${show(places)}`);
  console.log(`\nby function (self time):\n${show(self)}`);
}

for (const file of files) summarize(file);

/**
 * `npm run bench -- NAME [args]`: runs bench/NAME.ts, which prints one JSON line of figures measured side
 * by side with its reference (bare broker, bare route, …) in the same run.
 */
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const name = process.argv[2];
const available = readdirSync(here)
  .filter((f) => f.endsWith('.ts') && f !== 'run.ts' && !f.startsWith('_'))
  .map((f) => f.replace(/\.ts$/, ''));

if (!name || !available.includes(name) || !existsSync(join(here, `${name}.ts`))) {
  process.stderr.write(`usage: npm run bench -- NAME\navailable: ${available.join(', ') || '(none yet)'}\n`);
  process.exit(2);
}
process.argv.splice(2, 1);
await import(join(here, `${name}.ts`));

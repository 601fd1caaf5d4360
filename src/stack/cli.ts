import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { FieldlineError } from '../kernel/index.js';
import { bundleZip } from './bundle-zip.js';
import { StackBuilder } from './stack-builder.js';
import type { StackRequest } from './stack-plan.js';
import { STACK_TEMPLATES } from './templates.js';

export interface StackCliIo {
  out: (text: string) => void;
  err: (text: string) => void;
  /** Exit with a status; the CLI entry passes process.exit, tests a recorder. */
  exit: (code: number) => never;
}

const processIo: StackCliIo = {
  out: (t) => process.stdout.write(t),
  err: (t) => process.stderr.write(t),
  exit: (code) => process.exit(code),
};

interface BuildOptions {
  services?: string;
  template?: string;
  settings?: string;
  out: string;
  seed?: string;
  force?: boolean;
}

/** `fieldline stack list | templates | build`: the stack builder without a running server. */
export function registerStackCommands(
  program: Command,
  io: StackCliIo = processIo,
  builder = new StackBuilder(),
): void {
  const stack = program.command('stack').description('generate ready-to-run docker-compose stacks around Fieldline');

  stack
    .command('list')
    .description('list the services of the catalog')
    .option('--json', 'print JSON')
    .action((opts: { json?: boolean }) => {
      const services = builder.catalog.list();
      if (opts.json)
        return io.out(
          `${JSON.stringify(
            services.map((s) => ({ id: s.id, name: s.name, image: s.image })),
            null,
            2,
          )}\n`,
        );
      const width = Math.max(...services.map((s) => s.id.length));
      for (const s of services)
        io.out(`${s.id.padEnd(width)}  ${s.category.padEnd(13)}  ${s.image.padEnd(42)}  ${s.description}\n`);
    });

  stack
    .command('templates')
    .description('list the ready selections')
    .action(() => {
      for (const t of STACK_TEMPLATES)
        io.out(`${t.id}  "${t.name}"\n    ${t.services.join(', ')}\n    ${t.description}\n`);
    });

  stack
    .command('build')
    .description('generate a bundle into a folder, or a .zip file')
    .option('-s, --services <ids>', 'comma-separated catalog ids, e.g. fieldline,postgres,mosquitto')
    .option('-t, --template <name>', 'a template id or name (fieldline stack templates)')
    .option('--settings <file>', 'JSON file with integration settings (reverse_proxy, mqtt, oauth, database, email)')
    .requiredOption('-o, --out <dir|file.zip>', 'where to write the bundle')
    .option('--seed <seed>', 'derive every secret from this seed (same seed, same secrets)')
    .option('--force', 'write into a folder that is not empty')
    .action(async (opts: BuildOptions) => {
      const request: StackRequest = {
        ...(opts.services
          ? {
              instances: opts.services
                .split(',')
                .map((s) => s.trim())
                .filter(Boolean)
                .map((appId) => ({ appId })),
            }
          : {}),
        ...(opts.template ? { template: opts.template } : {}),
      };
      if (opts.settings) {
        try {
          request.settings = JSON.parse(readFileSync(opts.settings, 'utf8'));
        } catch (err) {
          io.err(`fieldline: cannot read settings ${opts.settings}: ${(err as Error).message}\n`);
          return io.exit(2);
        }
      }
      let bundle: Awaited<ReturnType<StackBuilder['generate']>>;
      try {
        bundle = await builder.generate(request, opts.seed === undefined ? {} : { seed: opts.seed });
      } catch (err) {
        if (err instanceof FieldlineError && err.errors) {
          io.err('fieldline: the stack cannot be built:\n');
          for (const e of err.errors) io.err(`  - ${e.field.replace(/^instances\./, 'services.')}: ${e.message}\n`);
          return io.exit(2);
        }
        throw err;
      }
      const target = resolve(opts.out);
      if (target.endsWith('.zip')) {
        mkdirSync(dirname(target), { recursive: true });
        writeFileSync(target, bundleZip(bundle.files, new Date()));
      } else {
        if (existsSync(target) && readdirSync(target).length > 0 && !opts.force) {
          io.err(
            `fieldline: ${opts.out} is not empty; it may hold the secrets of another stack (use --force to overwrite)\n`,
          );
          return io.exit(2);
        }
        for (const f of bundle.files) {
          const path = join(target, f.path);
          mkdirSync(dirname(path), { recursive: true });
          writeFileSync(path, f.content, { mode: f.mode ?? 0o644 });
          chmodSync(path, f.mode ?? 0o644);
        }
      }
      io.out(`wrote ${bundle.files.length} files for ${bundle.services.length} services to ${opts.out}\n`);
      for (const c of bundle.report.conflicts)
        io.out(`  note: ${c.message}${c.resolution ? ` (${c.resolution})` : ''}\n`);
      for (const w of bundle.warnings) io.out(`  note: ${w}\n`);
      io.out(
        `next: ${target.endsWith('.zip') ? 'unzip it, then ' : `cd ${opts.out} && `}./start.sh (README.md lists addresses and credentials)\n`,
      );
    });
}

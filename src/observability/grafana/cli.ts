import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { grafanaProvisioning, provisioningZip, writeProvisioning } from './provisioning.js';

export interface GrafanaCliIo {
  out: (text: string) => void;
  err: (text: string) => void;
  exit: (code: number) => never;
}

const processIo: GrafanaCliIo = {
  out: (t) => process.stdout.write(t),
  err: (t) => process.stderr.write(t),
  exit: (code) => process.exit(code),
};

/**
 * `fieldline grafana export --out DIR`: datasource and dashboard provisioning plus the dashboards, for the
 * Grafana an operator already has. `databaseUrl` is read lazily (the configuration is only needed here).
 */
export function registerGrafanaCommands(
  program: Command,
  databaseUrl: () => string | null,
  io: GrafanaCliIo = processIo,
): void {
  const grafana = program.command('grafana').description("Grafana provisioning for Fieldline's dashboards");
  grafana
    .command('export')
    .description('write datasource and dashboard provisioning and the Fieldline dashboards to a folder (or .zip)')
    .requiredOption('--out <dir>', 'folder to write (must be empty unless --force), or a file ending in .zip')
    .option('--prometheus-url <url>', 'where Grafana reaches Prometheus', 'http://prometheus:9090')
    .option('--force', 'write into a folder that is not empty')
    .action((opts: { out: string; prometheusUrl: string; force?: boolean }) => {
      if (!/^https?:\/\/[^/]/.test(opts.prometheusUrl)) {
        io.err(`fieldline: --prometheus-url must be an http(s) URL, not ${JSON.stringify(opts.prometheusUrl)}\n`);
        return io.exit(2);
      }
      const files = grafanaProvisioning({ databaseUrl: databaseUrl(), prometheusUrl: opts.prometheusUrl });
      const out = resolve(opts.out);
      if (out.endsWith('.zip')) {
        writeFileSync(out, provisioningZip(files, new Date()));
      } else {
        if (existsSync(out) && readdirSync(out).length > 0 && !opts.force) {
          io.err(`fieldline: ${out} is not empty (use --force to write into it)\n`);
          return io.exit(2);
        }
        writeProvisioning(out, files);
      }
      io.out(`wrote ${files.length} files to ${out}\n`);
      for (const f of files) io.out(`  ${f.path}\n`);
    });
}

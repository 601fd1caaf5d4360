import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import type { Config } from '../config.js';
import { integrationSecretContext } from '../integrations/index.js';
import { ruleSecretContext } from '../rules/index.js';
import { openStorage } from '../storage/index.js';
import { Keyring, resolveSecretKey, SECRET_KEY_FILE } from './keyring.js';
import { type ColumnReport, rotateSealedValues, type SealedColumn } from './rotation.js';
import { SecretBox } from './secret-box.js';

/**
 * Every column that holds credentials sealed with the credentials key, with the context its owner seals it
 * with. A new sealed column is added here; the rotation test seals through each owner's own code and reads
 * back through it after rotating, so a context that drifts from its owner fails there.
 */
export const SEALED_COLUMNS: readonly SealedColumn[] = [
  {
    table: 'notification_settings',
    key: 'organization_id',
    column: 'smtp_password',
    uses: [],
    context: (r) => `notification_settings:${r.organization_id}:smtp_password`,
  },
  {
    table: 'notification_settings',
    key: 'organization_id',
    column: 'signing_secret',
    uses: [],
    context: (r) => `notification_settings:${r.organization_id}:signing_secret`,
  },
  {
    table: 'notification_outbox',
    key: 'id',
    column: 'target_secret',
    uses: ['organization_id'],
    context: (r) => `notification_outbox:${r.organization_id}:${r.id}`,
  },
  {
    table: 'rules',
    key: 'id',
    column: 'actions_secret',
    uses: [],
    context: (r) => ruleSecretContext(String(r.id)),
  },
  {
    table: 'integrations',
    key: 'id',
    column: 'secrets',
    uses: ['organization_id'],
    context: (r) => integrationSecretContext(String(r.organization_id), String(r.id)),
  },
];

export interface RotateOptions {
  dryRun?: boolean;
  /** Generate a new key into the data dir (only when the key is the generated `secret.key`, not FIELDLINE_SECRET_KEY). */
  generateKey?: boolean;
}

export interface RotateResult {
  keySource: 'env' | 'file' | 'generated';
  currentKeyId: string;
  reports: ColumnReport[];
  /** Where the new key was written (generateKey). */
  newKeyFile: string | null;
}

/**
 * `fieldline secrets rotate`: re-seals every stored credential under the current key.
 *
 * With FIELDLINE_SECRET_KEY: set it to the new key and FIELDLINE_SECRET_KEY_PREVIOUS to the old one(s)
 * (comma-separated), deploy (servers open values under either key), run this, then drop the previous key.
 * With the generated `<data dir>/secret.key`: `--generate-key` writes a new key to `secret.key.new`, re-seals
 * under it, and swaps the files (the old key is kept as `secret.key.old-<time>`); if interrupted, running it
 * again resumes with the same `secret.key.new`. Stop the servers first in that mode: they read the key file
 * at start. A data-dir key that differs from FIELDLINE_SECRET_KEY is used as a previous key automatically.
 */
export async function rotateSecrets(config: Config, options: RotateOptions = {}): Promise<RotateResult> {
  const resolved = resolveSecretKey(config.secretKey, config.dataDir);
  const previous = [...config.secretKeyPrevious];
  const keyFile = join(config.dataDir, SECRET_KEY_FILE);
  let current = resolved.secret;
  let newKeyFile: string | null = null;
  if (resolved.source === 'env' && existsSync(keyFile)) {
    const fileKey = readFileSync(keyFile, 'utf8').trim();
    if (fileKey && fileKey !== current) previous.push(fileKey);
  }
  if (options.generateKey) {
    if (resolved.source === 'env')
      throw new Error(
        '--generate-key replaces the generated data-dir key; with FIELDLINE_SECRET_KEY set, set it to the new key and FIELDLINE_SECRET_KEY_PREVIOUS to the old one instead',
      );
    newKeyFile = `${keyFile}.new`;
    previous.push(current);
    if (existsSync(newKeyFile)) current = readFileSync(newKeyFile, 'utf8').trim();
    else {
      current = randomBytes(48).toString('base64url');
      if (!options.dryRun) {
        writeFileSync(newKeyFile, `${current}\n`, { mode: 0o600, flag: 'wx' });
        chmodSync(newKeyFile, 0o600);
      }
    }
  }
  const box = SecretBox.forCredentials(
    new Keyring(current),
    previous.filter((k) => k !== current).map((k) => new Keyring(k)),
  );
  const storage = openStorage({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  let reports: ColumnReport[];
  try {
    await storage.migrate();
    reports = await rotateSealedValues(storage.db, box, SEALED_COLUMNS, { dryRun: options.dryRun ?? false });
  } finally {
    await storage.close();
  }
  const failed = reports.some((r) => r.failed.length > 0);
  if (newKeyFile && !options.dryRun && !failed) {
    renameSync(keyFile, `${keyFile}.old-${new Date().toISOString().replace(/[:.]/g, '-')}`);
    renameSync(newKeyFile, keyFile);
  }
  return { keySource: resolved.source, currentKeyId: box.currentKeyId, reports, newKeyFile };
}

export function registerSecretCommands(program: Command, loadConfig: () => Config): void {
  const secrets = program.command('secrets').description('manage the credentials Fieldline stores encrypted');
  secrets
    .command('rotate')
    .description(
      're-encrypt every stored credential under the current key (FIELDLINE_SECRET_KEY; old keys in FIELDLINE_SECRET_KEY_PREVIOUS)',
    )
    .option('--dry-run', 'count what would be re-encrypted, change nothing')
    .option('--generate-key', 'replace the generated data-dir key (secret.key) with a new one and re-encrypt under it')
    .action(async (opts: { dryRun?: boolean; generateKey?: boolean }) => {
      const result = await rotateSecrets(loadConfig(), {
        dryRun: opts.dryRun ?? false,
        generateKey: opts.generateKey ?? false,
      });
      const lines = [
        `current key ${result.currentKeyId} (${result.keySource === 'env' ? 'FIELDLINE_SECRET_KEY' : SECRET_KEY_FILE})`,
      ];
      for (const r of result.reports) {
        lines.push(
          `${r.column}: ${r.resealed} ${opts.dryRun ? 'to re-encrypt' : 're-encrypted'}, ${r.current} already current, ${r.failed.length} failed`,
        );
        for (const f of r.failed.slice(0, 20)) lines.push(`  ${f.id}: ${f.error}`);
      }
      const failed = result.reports.reduce((n, r) => n + r.failed.length, 0);
      if (result.newKeyFile && !opts.dryRun)
        lines.push(
          failed
            ? `the new key stays in ${result.newKeyFile}; fix the failures and run again`
            : 'the new key is now in use',
        );
      if (failed)
        lines.push(
          `${failed} value(s) could not be opened with any key: add the key they were sealed with to FIELDLINE_SECRET_KEY_PREVIOUS`,
        );
      process.stdout.write(`${lines.join('\n')}\n`);
      if (failed) process.exitCode = 1;
    });
}

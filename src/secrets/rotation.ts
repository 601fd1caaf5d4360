import type { Kysely } from 'kysely';
import { SecretBox } from './secret-box.js';

/** A column holding sealed values, and the context (AAD) each row's value was sealed with. */
export interface SealedColumn {
  table: string;
  /** Primary key column (text), for paging and for the update. */
  key: string;
  column: string;
  /** Other columns the context needs (organization_id, …). */
  uses: readonly string[];
  context: (row: Record<string, unknown>) => string;
}

export interface ColumnReport {
  column: string;
  resealed: number;
  current: number;
  failed: { id: string; error: string }[];
}

const PAGE = 500;

/**
 * Re-seals every value of the given columns that is not sealed under the box's current key (it opens with a
 * previous key of the box). A value that opens with no key is reported and left as it is. Each page is one
 * transaction; running it again after an interruption finishes the job (values already current are skipped).
 */
export async function rotateSealedValues(
  // biome-ignore lint/suspicious/noExplicitAny: the columns name tables of several domains
  db: Kysely<any>,
  box: SecretBox,
  columns: readonly SealedColumn[],
  options: { dryRun?: boolean } = {},
): Promise<ColumnReport[]> {
  const reports: ColumnReport[] = [];
  for (const c of columns) {
    const report: ColumnReport = { column: `${c.table}.${c.column}`, resealed: 0, current: 0, failed: [] };
    let after = '';
    for (;;) {
      const rows = (await db
        .selectFrom(c.table)
        .select([c.key, c.column, ...c.uses])
        .where(c.column, 'is not', null)
        .where(c.key, '>', after)
        .orderBy(c.key)
        .limit(PAGE)
        .execute()) as Record<string, unknown>[];
      if (rows.length === 0) break;
      after = String(rows[rows.length - 1]?.[c.key]);
      const updates: { id: string; value: string }[] = [];
      for (const row of rows) {
        const id = String(row[c.key]);
        const sealed = String(row[c.column]);
        if (!SecretBox.isSealed(sealed)) {
          report.failed.push({ id, error: 'not a sealed value (stored in the clear?)' });
          continue;
        }
        if (!box.needsReseal(sealed)) {
          report.current++;
          continue;
        }
        try {
          updates.push({ id, value: box.reseal(sealed, c.context(row)) });
        } catch (err) {
          report.failed.push({ id, error: err instanceof Error ? err.message : String(err) });
        }
      }
      if (!options.dryRun && updates.length) {
        await db.transaction().execute(async (trx) => {
          for (const u of updates)
            await trx
              .updateTable(c.table)
              .set({ [c.column]: u.value })
              .where(c.key, '=', u.id)
              .execute();
        });
      }
      report.resealed += updates.length;
    }
    reports.push(report);
  }
  return reports;
}

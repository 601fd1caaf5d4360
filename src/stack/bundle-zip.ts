import { type ZipAttributes, zipSync } from 'fflate';
import type { GeneratedFile } from './types.js';

const UNIX = 3;
const REGULAR_FILE = 0o100000;

/**
 * The bundle as a ZIP: exactly the files of `generate`, with their Unix modes (scripts stay executable,
 * .env stays 0600 after `unzip`) and one timestamp, so the archive depends on its content only.
 */
export function bundleZip(files: readonly GeneratedFile[], mtime: Date, folder?: string): Uint8Array {
  const entries: Record<string, [Uint8Array, ZipAttributes]> = {};
  const prefix = folder ? `${folder}/` : '';
  for (const f of files)
    entries[prefix + f.path] = [
      Buffer.from(f.content, 'utf8'),
      // External attributes carry the Unix mode in their high 16 bits (APPNOTE 4.4.15, Info-ZIP).
      { os: UNIX, attrs: (REGULAR_FILE | (f.mode ?? 0o644)) * 65536, mtime },
    ];
  return zipSync(entries, { level: 6 });
}

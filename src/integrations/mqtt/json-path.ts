/**
 * The small JSON path subset users write to point into a message: `$.data.temp`, `data.temp`,
 * `$.readings[0].value`, `$['key.with.dots']`, `readings.0.value`. No filters, wildcards or recursion: one path
 * names at most one value.
 */

export class JsonPathError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'JsonPathError';
  }
}

export type JsonPath = readonly (string | number)[];

export function parseJsonPath(path: string): JsonPath {
  let s = path.trim();
  if (s === '$' || s === '') return [];
  if (s.startsWith('$')) s = s.slice(1);
  else s = `.${s}`;
  const segments: (string | number)[] = [];
  let i = 0;
  while (i < s.length) {
    const c = s[i];
    if (c === '.') {
      let j = i + 1;
      while (j < s.length && s[j] !== '.' && s[j] !== '[') j++;
      const name = s.slice(i + 1, j);
      if (name === '') throw new JsonPathError(`empty name at position ${i + 1} of ${JSON.stringify(path)}`);
      segments.push(/^\d+$/.test(name) ? Number(name) : name);
      i = j;
    } else if (c === '[') {
      const close = s.indexOf(']', i);
      if (close === -1) throw new JsonPathError(`unclosed [ in ${JSON.stringify(path)}`);
      const inner = s.slice(i + 1, close).trim();
      const quoted = /^'(.*)'$|^"(.*)"$/.exec(inner);
      if (quoted) segments.push((quoted[1] ?? quoted[2]) as string);
      else if (/^\d+$/.test(inner)) segments.push(Number(inner));
      else throw new JsonPathError(`[${inner}] in ${JSON.stringify(path)}: an index or a quoted name`);
      i = close + 1;
    } else {
      throw new JsonPathError(`unexpected ${JSON.stringify(c)} at position ${i} of ${JSON.stringify(path)}`);
    }
  }
  if (segments.length > 32) throw new JsonPathError('more than 32 levels');
  return segments;
}

/** The value at the path, or undefined when any step is missing. */
export function readJsonPath(doc: unknown, path: JsonPath): unknown {
  let cur = doc;
  for (const seg of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    if (Array.isArray(cur)) {
      if (typeof seg !== 'number') return undefined;
      cur = cur[seg];
    } else {
      const key = String(seg);
      if (!Object.hasOwn(cur, key)) return undefined;
      cur = (cur as Record<string, unknown>)[key];
    }
  }
  return cur;
}

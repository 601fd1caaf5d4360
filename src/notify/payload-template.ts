/**
 * A JSON payload template: any JSON value whose strings may hold `{{path}}` placeholders, looked up in the
 * notification's document (`{{alert.severity}}`, `{{device_name}}`, `{{event}}`). A string that is exactly one
 * placeholder takes the value with its type (a number stays a number); inside a longer string the value is
 * written as text. A missing value is null (or empty inside text). Keys are not templated.
 */
const PLACEHOLDER = /\{\{\s*([A-Za-z0-9_.-]+)\s*\}\}/g;
const ONLY = /^\{\{\s*([A-Za-z0-9_.-]+)\s*\}\}$/;

function lookup(doc: unknown, path: string): unknown {
  let cur: unknown = doc;
  for (const part of path.split('.')) {
    if (cur === null || typeof cur !== 'object' || !Object.hasOwn(cur, part)) return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

const asText = (v: unknown): string =>
  v === undefined || v === null ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v);

export function renderTemplate(template: unknown, doc: unknown): unknown {
  if (typeof template === 'string') {
    const only = ONLY.exec(template);
    if (only) return lookup(doc, only[1]!) ?? null;
    return template.replace(PLACEHOLDER, (_, path: string) => asText(lookup(doc, path)));
  }
  if (Array.isArray(template)) return template.map((t) => renderTemplate(t, doc));
  if (template !== null && typeof template === 'object') {
    return Object.fromEntries(Object.entries(template).map(([k, v]) => [k, renderTemplate(v, doc)]));
  }
  return template;
}

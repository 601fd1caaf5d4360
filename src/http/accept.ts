/**
 * Which of the media types offered the client's `Accept` header prefers (RFC 9110 §12.5.1): each type takes the
 * q-value of the most specific range that matches it (`text/csv` before `text/*` before `*\/*`); the first offered
 * wins ties and is the answer when the header is absent. A type the header refuses (q=0) is never chosen.
 */
export function preferredType<T extends string>(accept: string | undefined, offered: readonly [T, ...T[]]): T {
  if (!accept) return offered[0];
  const ranges = accept.split(',').map((part) => {
    const [range = '', ...params] = part.trim().toLowerCase().split(';');
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    const value = q === undefined ? 1 : Number(q.slice(2));
    return { range: range.trim(), q: Number.isFinite(value) ? value : 0 };
  });
  const qOf = (type: string): number => {
    const [major] = type.split('/');
    let best = { specificity: -1, q: 0 };
    for (const r of ranges) {
      const specificity = r.range === type ? 2 : r.range === `${major}/*` ? 1 : r.range === '*/*' ? 0 : -1;
      if (specificity > best.specificity) best = { specificity, q: r.q };
    }
    return best.q;
  };
  let chosen = offered[0];
  let chosenQ = qOf(chosen);
  for (const type of offered.slice(1)) {
    const q = qOf(type);
    if (q > chosenQ) {
      chosen = type;
      chosenQ = q;
    }
  }
  return chosen;
}

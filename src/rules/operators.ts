import type { Operator, Scalar } from './model.js';

/** A reading as a number: numbers as they are, booleans as 1/0; anything else has no numeric value. */
export function numeric(v: unknown): number | null {
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  if (typeof v === 'boolean') return v ? 1 : 0;
  return null;
}

export function compareNumbers(op: Operator, a: number, b: number): boolean {
  switch (op) {
    case '>':
      return a > b;
    case '<':
      return a < b;
    case '>=':
      return a >= b;
    case '<=':
      return a <= b;
    case '==':
      return a === b;
    case '!=':
      return a !== b;
  }
}

/**
 * A reading against a threshold of the rule's type: numbers (booleans count as 1/0) for numeric thresholds;
 * for string and boolean thresholds only == and != (the validator refuses the others). null: the reading has
 * no value of a comparable kind (a JSON object against a number), so the condition is unknown, not false.
 */
export function compareReading(op: Operator, reading: unknown, threshold: Scalar): boolean | null {
  if (typeof threshold === 'number') {
    const n = numeric(reading);
    return n === null ? null : compareNumbers(op, n, threshold);
  }
  let equal: boolean;
  if (typeof threshold === 'boolean') {
    if (typeof reading === 'boolean') equal = reading === threshold;
    else if (typeof reading === 'number') equal = (reading !== 0) === threshold;
    else return null;
  } else {
    if (typeof reading === 'string') equal = reading === threshold;
    else if (typeof reading === 'number' || typeof reading === 'boolean') equal = String(reading) === threshold;
    else return null;
  }
  return op === '==' ? equal : op === '!=' ? !equal : null;
}

/** Operators that need an ordered (numeric) operand. */
export const isOrdering = (op: Operator): boolean => op !== '==' && op !== '!=';

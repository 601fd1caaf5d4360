import { describe, expect, it } from 'vitest';
import { SeriesAnswerBuilder } from './series-answer.js';

const points = (...ts: number[]) => ts.map((t) => ({ ts: t, value: t }));

describe('SeriesAnswerBuilder', () => {
  it('keeps the newest `limit` points of a key and names it truncated', () => {
    const answer = new SeriesAnswerBuilder(2);
    expect(answer.take).toBe(3);
    answer.add('a', points(1, 2, 3));
    answer.add('b', points(1, 2));
    answer.add('c', []);
    expect(answer.done()).toEqual({ series: { a: points(2, 3), b: points(1, 2) }, truncated: ['a'] });
  });

  it('keeps a key named __proto__ as a key', () => {
    const answer = new SeriesAnswerBuilder(5);
    answer.add('__proto__', points(1));
    const { series } = answer.done();
    expect(Object.keys(series)).toEqual(['__proto__']);
    expect(JSON.parse(JSON.stringify(series))).toEqual(JSON.parse('{"__proto__":[{"ts":1,"value":1}]}'));
  });

  it('asks only for what the answer has room for, and refuses an answer past maxTotal', () => {
    const answer = new SeriesAnswerBuilder(10, 5);
    expect(answer.take).toBe(6);
    answer.add('a', points(1, 2, 3, 4));
    expect(answer.take).toBe(2);
    answer.add('b', points(1));
    expect(() => answer.add('c', points(1))).toThrow(/more than 5 points in all/);
  });
});

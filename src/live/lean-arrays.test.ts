import { describe, expect, it } from 'vitest';
import { noItems, takeFirst, withItem } from './lean-arrays.js';

describe('lean arrays', () => {
  it('share one empty list, which refuses a push', () => {
    const a = noItems<number>();
    expect(noItems<string>()).toBe(a);
    expect(() => a.push(1)).toThrow(TypeError);
    expect(a).toHaveLength(0);
  });

  it('give the first item an array of its own, and push the rest onto it', () => {
    const empty = noItems<number>();
    const one = withItem(empty, 1);
    expect(one).not.toBe(empty);
    expect(one).toEqual([1]);
    expect(withItem(one, 2)).toBe(one);
    expect(one).toEqual([1, 2]);
    expect(empty).toHaveLength(0);
  });

  it('take the first item in order, and nothing from an empty list without writing to it', () => {
    const list = withItem(withItem(noItems<string>(), 'a'), 'b');
    expect(takeFirst(list)).toBe('a');
    expect(takeFirst(list)).toBe('b');
    expect(takeFirst(list)).toBeUndefined();
    expect(takeFirst(noItems<string>())).toBeUndefined();
  });
});

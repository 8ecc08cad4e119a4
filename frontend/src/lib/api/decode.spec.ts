// The primitive decoders the generated contract is built from, including the
// ones no Go type uses today (optional fields, maps, pointers), so a new field
// of that shape works the day it appears.

import { describe, expect, it } from 'vitest';
import {
  ApiError,
  bool,
  errorMessage,
  field,
  int,
  isUnavailable,
  list,
  nothing,
  nullable,
  num,
  object,
  oneOf,
  oneOfOrEmpty,
  optional,
  record,
  str,
} from './decode';

describe('primitives', () => {
  it.each([
    ['str', str, 'x', 1],
    ['bool', bool, false, 'false'],
    ['int', int, -3, 1.5],
    ['num', num, 1.5, Number.NaN],
  ] as const)('%s accepts its type and refuses another', (_name, decode, good, bad) => {
    expect(decode(good)).toBe(good);
    expect(() => decode(bad, 'X.y')).toThrow(/^unexpected X\.y from Hush: /);
    expect(() => decode(undefined, 'X.y')).toThrow('unexpected X.y from Hush: nothing is not');
  });

  it('decodes lists and maps, null as empty, naming the broken element', () => {
    expect(list(str)(['a', 'b'])).toEqual(['a', 'b']);
    expect(list(str)(null)).toEqual([]);
    expect(() => list(str)(['a', 2], 'L')).toThrow('unexpected L[1] from Hush: 2 is not a string');
    expect(() => list(str)({}, 'L')).toThrow('an object is not a list');
    expect(record(int)({ a: 1 })).toEqual({ a: 1 });
    expect(record(int)(null)).toEqual({});
    expect(() => record(int)({ a: 'x' }, 'M')).toThrow('unexpected M["a"] from Hush');
  });

  it('decodes pointers and optional fields', () => {
    expect(nullable(int)(null)).toBeNull();
    expect(nullable(int)(4)).toBe(4);
    const o = object({ a: 'x' }, 'T');
    expect(optional(o, 'a', 'T', str)).toEqual({ a: 'x' });
    expect(optional(o, 'b', 'T', str)).toEqual({});
    expect(() => optional(o, 'a', 'T', int)).toThrow('unexpected T.a from Hush');
  });

  it('reads only own fields', () => {
    expect(() => field(object({}, 'T'), 'constructor', 'T', str)).toThrow('unexpected T.constructor from Hush');
  });

  it('decodes enums, with or without none', () => {
    const abc = ['a', 'b'] as const;
    expect(oneOf(abc)('a')).toBe('a');
    expect(() => oneOf(abc)('', 'E')).toThrow('unexpected E from Hush: "" is not one of a, b');
    expect(oneOfOrEmpty(abc)('')).toBe('');
  });

  it('takes null or undefined as the result of an error-only method, and nothing else', () => {
    expect(nothing(null)).toBeUndefined();
    expect(nothing(undefined)).toBeUndefined();
    expect(() => nothing({})).toThrow(ApiError);
  });
});

describe('errors', () => {
  it('marks 404 and missing bindings as unavailable', () => {
    expect(isUnavailable(new ApiError('x', 404))).toBe(true);
    expect(isUnavailable(new ApiError('x', undefined, true))).toBe(true);
    expect(isUnavailable(new ApiError('x', 422))).toBe(false);
    expect(isUnavailable(new Error('x'))).toBe(false);
  });

  it('reads the message of whatever was thrown', () => {
    expect(errorMessage('plain')).toBe('plain');
    expect(errorMessage(new Error('boom'))).toBe('boom');
    expect(errorMessage({ message: 'obj' })).toBe('obj');
    expect(errorMessage(42)).toBe('42');
  });
});

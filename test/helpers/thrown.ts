import { expect } from 'vitest';

/** The error `f` throws, asserted to be a `cls` (a test fails when `f` returns or throws anything else). */
export function thrown<E>(f: () => unknown, cls: abstract new (...args: never[]) => E): E {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(cls);
    return e as E;
  }
  throw new Error(`expected a ${cls.name}`);
}

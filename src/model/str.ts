/**
 * A str with an identity of its own. JS strings are values, so the pickler memoizes equal strings
 * once, as if Python had one object for them (true for interned names and literals). A `PyStr` is
 * written afresh, like a str CPython creates on the fly (a C type's `__qualname__`, a bound
 * method's `__name__`), and memoized by identity: use it in reduce hooks to match CPython's bytes.
 */
export class PyStr {
  constructor(readonly text: string) {
    Object.freeze(this);
  }

  toString(): string {
    return this.text;
  }
}

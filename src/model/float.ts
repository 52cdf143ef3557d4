/**
 * A Python float whose value is integral (2.0, -0.0, 1e300), kept as a float rather than read as an
 * int. `loads` returns these only with `exact: true`; `dumps` writes them as floats.
 */
export class PyFloat {
  constructor(readonly value: number) {
    Object.freeze(this);
  }

  valueOf(): number {
    return this.value;
  }

  toString(): string {
    return String(this.value);
  }
}

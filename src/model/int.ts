/** A bigint as a number when it is a safe integer (how Python ints come out of 64-bit data), else itself. */
export function normalInt(v: bigint): number | bigint {
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

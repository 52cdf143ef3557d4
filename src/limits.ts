/** Resource limits for decoding untrusted pickles. Every one is overridable through the options. */
export interface Limits {
  /** Largest input accepted, in bytes. Default 1 GiB. */
  maxInputBytes: number;
  /** Largest single bytes, str or bytearray, in bytes. Default 512 MiB. */
  maxObjectBytes: number;
  /** Most memo entries. Default 16,777,216. */
  maxMemoEntries: number;
  /** Most items on the stack at once (all marks together). Default 16,777,216. */
  maxStackItems: number;
  /** Deepest container nesting in the result, and deepest MARK nesting. Default 20,000. */
  maxDepth: number;
  /** Most opcodes executed for one pickle. Default 100,000,000. */
  maxOps: number;
  /** Most decimal digits in a protocol-0 INT/LONG (CPython 3.11 refuses more than 4300). Default 4300. */
  maxIntDigits: number;
  /**
   * Most bytes the values reconstructors make may hold beyond what they were given, over one pickle:
   * new buffers (a view of the input, an out-of-band buffer or a persistentLoad storage is free),
   * array slots, Map and Set entries. It bounds the memory a small pickle can ask for by asking for
   * the same copy again and again (`bytearray(b)` of one memoized `b`, a thousand times). Default 1 GiB.
   */
  maxReconstructedBytes: number;
}

export const DEFAULT_LIMITS: Readonly<Limits> = Object.freeze({
  maxInputBytes: 1024 * 1024 * 1024,
  maxObjectBytes: 512 * 1024 * 1024,
  maxMemoEntries: 16_777_216,
  maxStackItems: 16_777_216,
  maxDepth: 20_000,
  maxOps: 100_000_000,
  maxIntDigits: 4300,
  maxReconstructedBytes: 1024 * 1024 * 1024,
});

// Benchmark workloads. Each workload is a Python value (built by `setup` + `expr`, evaluated in
// CPython) that is pickled once per run; measurements are hung off the workload per operation:
//
//   loads: time/memory of our `loads(pickle, options)` vs CPython's `pickle.loads(pickle)`.
//   dumps: time of our `dumps(value, {protocol})` vs `pickle.dumps(value, protocol=…)`, where the JS
//          value is our `loads(pickle, { exact: true })` and the Python value `pickle.loads(pickle)`.
//          The table notes whether our bytes equal the workload's pickle.
//
// Fields:
//   name       unique id, used by --only
//   about      one-line description printed in the legend
//   setup      optional Python statements run before `expr` (names it defines are visible to expr)
//   python     optional interpreter for this workload's CPython side (making the pickle and timing it),
//              instead of $PYTHON; `requires`: modules it must import, else the row is skipped (printed)
//   expr       Python expression building the value
//   protocols  pickle protocols to measure (one row per protocol × variant)
//   reps       --forced-gc only: timed calls per side per round; --quick lowers this
//   warmup     untimed calls before timing (besides the 0.5 s warm-up)
//   loads      { target, variants: [{ label, options, target? }] }   (targets: issue 16's, steady state)
//                target: { ratio: x }   → speed ratio (CPython ms / ours ms) must be ≥ x
//                        { memcpy: f }  → our ms must be ≤ f × the memcpy baseline (Uint8Array#slice
//                                         of the same number of bytes, same Node process)
//                        { fast: x }    → (dumps with options.fast) the ratio to CPython's
//                                         `Pickler.fast` dumps must be ≥ x too
//                options: our loads/dumps options as JSON; `packs: [id]` stands for a policy of
//                those shipped packs (node_child.mjs builds it)
//   baselines  optional [{ kind: 'memcpy', bytes }]: measured in the same Node child as our timing
//   check      (value, data) => true | string: cheap sanity check of our loads result, so a broken
//              or lazy result cannot produce a meaningless timing. `data` is the pickle bytes.

const MiB = 1024 * 1024;

const len = (v) => (v && typeof v.length === 'number' ? v.length : v instanceof Map ? v.size : -1);
const num = (x) => (typeof x === 'bigint' ? Number(x) : x instanceof Object && typeof x.valueOf() === 'number' ? x.valueOf() : x);
const expect = (cond, msg) => (cond ? true : msg);

export const BYTES_SIZE = 100 * MiB;

export const WORKLOADS = [
  {
    name: 'ints',
    about: '1,000,000 small ints, "small" = 0..999 (BININT1 for 0..255, BININT2 for 256..999)',
    expr: '[i % 1000 for i in range(10**6)]',
    protocols: [4],
    reps: 15,
    warmup: 2,
    loads: { target: { ratio: 1.0 }, variants: [{ label: '', options: undefined }] },
    dumps: { target: { ratio: 1.0 }, variants: [{ label: '', options: undefined }] },
    check: (v) => expect(Array.isArray(v) && v.length === 1e6 && num(v[999]) === 999 && num(v[1000]) === 0, 'expected list of 1e6 ints'),
  },
  {
    name: 'ints-range',
    about: '1,000,000 ints 0..999,999 (mostly 4-byte BININT)',
    expr: 'list(range(10**6))',
    protocols: [4],
    reps: 15,
    warmup: 2,
    loads: { target: { ratio: 1.0 }, variants: [{ label: '', options: undefined }] },
    dumps: { target: { ratio: 1.0 }, variants: [{ label: '', options: undefined }] },
    check: (v) => expect(Array.isArray(v) && v.length === 1e6 && num(v[999_999]) === 999_999, 'expected list of 1e6 ints'),
  },
  {
    name: 'records',
    about: '200,000 record dicts {id, name, score, active, tags: ["a", "b"]} (load as Maps); fast = Pickler.fast',
    expr: '[{"id": i, "name": f"user{i}", "score": i * 0.5, "active": i % 2 == 0, "tags": ["a", "b"]} for i in range(200_000)]',
    protocols: [4],
    reps: 7,
    warmup: 1,
    loads: { target: { ratio: 1.0 }, variants: [{ label: '', options: undefined }] },
    dumps: {
      target: { ratio: 0.8 },
      variants: [
        { label: '', options: undefined },
        // Issue 16: our fast dumps ≥ 1.5× CPython's default dumps, ≥ 1.0× CPython's Pickler.fast.
        { label: 'fast', options: { fast: true }, target: { ratio: 1.5, fast: 1.0 } },
      ],
    },
    check: (v) => {
      if (!Array.isArray(v) || v.length !== 200_000) return 'expected list of 200,000 records';
      const r = v[7];
      if (!(r instanceof Map)) return 'expected records to load as Maps';
      return expect(num(r.get('id')) === 7 && r.get('name') === 'user7' && num(r.get('score')) === 3.5 && r.get('active') === false, 'record 7 has wrong fields');
    },
  },
  {
    name: 'strings',
    about: '200,000 short ASCII strings f"user_{i}" (6..11 chars)',
    expr: '[f"user_{i}" for i in range(200_000)]',
    protocols: [4],
    reps: 15,
    warmup: 2,
    loads: { target: { ratio: 1.0 }, variants: [{ label: '', options: undefined }] },
    dumps: { target: { ratio: 1.0 }, variants: [{ label: '', options: undefined }] },
    check: (v) => expect(Array.isArray(v) && v.length === 200_000 && v[123] === 'user_123', 'expected 200,000 strings'),
  },
  {
    name: 'strings-nonascii',
    about: '200,000 short non-ASCII strings f"naïve-{i}-名前-🙂" (2-, 3- and 4-byte UTF-8)',
    expr: '[f"naïve-{i}-名前-🙂" for i in range(200_000)]',
    protocols: [4],
    reps: 15,
    warmup: 2,
    loads: { target: { ratio: 1.0 }, variants: [{ label: '', options: undefined }] },
    dumps: { target: { ratio: 1.0 }, variants: [{ label: '', options: undefined }] },
    check: (v) => expect(Array.isArray(v) && v.length === 200_000 && v[123] === 'naïve-123-名前-🙂', 'expected 200,000 non-ASCII strings'),
  },
  {
    name: 'bytes',
    about: `one ${BYTES_SIZE / MiB} MiB bytes object (BINBYTES; protocol 5 differs only in the header)`,
    expr: `bytes(range(256)) * (${BYTES_SIZE} // 256)`,
    protocols: [4, 5],
    reps: 9,
    warmup: 1,
    loads: {
      target: { memcpy: 1.5 },
      variants: [
        { label: '', options: undefined },
        { label: 'zeroCopy', options: { zeroCopy: true }, target: { memcpy: 0.1 } },
      ],
    },
    dumps: { target: { ratio: 0.8 }, variants: [{ label: '', options: undefined }] },
    baselines: [{ kind: 'memcpy', bytes: BYTES_SIZE }],
    check: (v, data, variant) => {
      if (!(v instanceof Uint8Array) || v.byteLength !== BYTES_SIZE) return `expected a Uint8Array of ${BYTES_SIZE} bytes`;
      if (v[257] !== 1 || v[BYTES_SIZE - 1] !== 255) return 'wrong content';
      const shares = v.buffer === data.buffer;
      if (variant.options?.zeroCopy && !shares) return 'zeroCopy result is not a view of the input';
      if (!variant.options?.zeroCopy && shares) return 'default result shares memory with the input (expected a copy)';
      return true;
    },
  },
  {
    name: 'floats',
    about: '1,000,000 non-integral floats i * 1.1 + 0.1 (BINFLOAT)',
    expr: '[i * 1.1 + 0.1 for i in range(10**6)]',
    protocols: [4],
    reps: 15,
    warmup: 2,
    loads: { target: { ratio: 1.0 }, variants: [{ label: '', options: undefined }] },
    dumps: { target: { ratio: 1.0 }, variants: [{ label: '', options: undefined }] },
    check: (v) => expect(Array.isArray(v) && v.length === 1e6 && Math.abs(num(v[3]) - 3.4) < 1e-9, 'expected 1e6 floats'),
  },
  {
    name: 'intdict',
    about: '200,000-entry dict {i: i * 2} (loads as a Map)',
    expr: '{i: i * 2 for i in range(200_000)}',
    protocols: [4],
    reps: 15,
    warmup: 2,
    loads: { target: { ratio: 1.0 }, variants: [{ label: '', options: undefined }] },
    dumps: { target: { ratio: 1.0 }, variants: [{ label: '', options: undefined }] },
    check: (v) => {
      if (!(v instanceof Map) || v.size !== 200_000) return 'expected a Map of 200,000 entries';
      const k = [...v.keys()][5];
      return expect(num(k) === 5 && num(v.get(k)) === 10, 'entry 5 → 10 missing');
    },
  },
  {
    name: 'shared',
    about: '100,000 references to 50 shared tuples (j, f"t{j}") (memo BINGETs)',
    setup: 'shared = [(j, f"t{j}") for j in range(50)]',
    expr: '[shared[i % 50] for i in range(100_000)]',
    protocols: [4],
    reps: 25,
    warmup: 3,
    loads: { target: { ratio: 0.5 }, variants: [{ label: '', options: undefined }] },
    dumps: { target: {}, variants: [{ label: '', options: undefined }] },
    check: (v) => {
      if (!Array.isArray(v) || v.length !== 100_000) return 'expected list of 100,000 items';
      if (v[0] !== v[50] || v[1] === v[0]) return 'shared tuples are not the same objects';
      return expect(len(v[1]) === 2 && v[1][1] === 't1', 'tuple 1 should be (1, "t1")');
    },
  },
  {
    name: 'numpy',
    about: 'a 10,000,000-element float64 numpy array (loads: ours with the numpy pack, CPython with numpy)',
    setup: 'import numpy as np',
    expr: 'np.arange(10_000_000, dtype=np.float64) * 0.5',
    protocols: [4],
    reps: 9,
    warmup: 1,
    loads: {
      // Issue 12: memory-copy speed, ≥ 0.8× CPython with numpy; zero-copy as an option.
      target: { ratio: 0.8 },
      variants: [
        { label: '', options: { packs: ['numpy'] } },
        { label: 'zeroCopy', options: { packs: ['numpy'], zeroCopy: true } },
      ],
    },
    check: (v) => {
      if (v?.constructor?.name !== 'NdArray' || v.shape?.[0] !== 10_000_000) return 'expected an NdArray of shape (10000000,)';
      if (!(v.data instanceof Uint8Array) || v.data.byteLength !== 80_000_000) return 'expected 80,000,000 data bytes';
      return expect(new DataView(v.data.buffer, v.data.byteOffset + 8 * 7, 8).getFloat64(0, true) === 3.5, 'element 7 should be 3.5');
    },
  },
  {
    name: 'dataframe',
    about: 'DataFrame loads: a 1,000,000-row x 10-column pandas DataFrame: float64 x4, int64 x2, bool, datetime64[ns] (minutes from 2020), ' +
      'category (5 labels, int8 codes), object (short strings "user{i % 50000}", each its own str). Ours: loads with the pandas pack; ' +
      'CPython: pickle.loads with pandas imported (what pandas.read_pickle does after reading the file)',
    python: '/usr/bin/python3', // Debian's, with pandas 1.5.3 (the python3 on PATH has no pandas)
    requires: ['pandas'],
    setup: 'import numpy as np, pandas as pd\nr = np.arange(10**6)',
    expr: "pd.DataFrame({'f0': r * 0.5, 'f1': r * 1.25 + 3, 'f2': np.sin(r), 'f3': r / 7, 'i0': r.astype(np.int64), 'i1': r.astype(np.int64) % 1000 - 500, " +
      "'flag': r % 3 == 0, 'when': pd.date_range('2020-01-01', periods=len(r), freq='min'), " +
      "'kind': pd.Categorical.from_codes(r % 5, ['alpha', 'beta', 'gamma', 'delta', 'epsilon']), 'name': [f'user{i % 50000}' for i in range(len(r))]})",
    protocols: [4],
    reps: 7,
    warmup: 1,
    // Issue 12: >= 0.5x pandas.read_pickle.
    loads: { target: { ratio: 0.5 }, variants: [{ label: '', options: { packs: ['pandas'] } }] },
    check: (v) => {
      if (v?.constructor?.name !== 'PdDataFrame' || v.shape?.[0] !== 1e6 || v.shape?.[1] !== 10) return 'expected a PdDataFrame of 1,000,000 x 10';
      const get = (c, i) => v.column(c)?.get(i);
      const ok = get('f0', 7) === 3.5 && get('i1', 7) === -493 && get('flag', 3) === true && get('kind', 7) === 'gamma' && get('name', 50_007) === 'user7' &&
        get('when', 1) === 1_577_836_860_000_000_000n && v.column('when').dtype === 'datetime64[ns]' && v.column('name').dtype === 'object';
      return expect(ok, 'row values differ from the frame CPython built');
    },
  },
];

/** Memory target: our peak-RSS growth / CPython's must be ≤ this. */
export const MEM_RATIO_TARGET = 1.5;
/** Below this growth (MiB, on both sides) RSS noise dominates: the mem ratio is shown but not judged. */
export const MEM_NOISE_FLOOR_MB = 4;

/** The rows a workload produces for `op`: one per protocol × variant. */
export function rowsFor(workload, op) {
  const spec = workload[op];
  if (!spec) return [];
  const rows = [];
  for (const protocol of workload.protocols) {
    for (const variant of spec.variants) {
      const parts = [workload.name, op];
      if (workload.protocols.length > 1) parts.push(`p${protocol}`);
      if (variant.label) parts.push(variant.label);
      rows.push({ op, workload, protocol, variant, id: parts.join(' '), target: variant.target ?? spec.target });
    }
  }
  return rows;
}

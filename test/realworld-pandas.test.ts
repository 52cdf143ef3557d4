/**
 * DataFrames, Series and indexes pickled by the real pandas (corpus/realworld/gen_pandas.py) load
 * under the pandas pack as PdDataFrame / PdSeries: labels, dtypes and every cell as pandas has them.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { audit, createPolicy, dumps, loadPandas, loads, MalformedPickleError, PdArray, PdDataFrame, PdIndex, PdSeries, PyGlobal, PyObject, RefusedGlobalError, shippedPack } from '../src/index.js';
import { described, expectedForm, hostileCases, loadOutcome, realworldFixtures , VERDICT_OF } from './helpers/described.js';

const files = realworldFixtures('pandas', (n) => n.endsWith('.pkl'));
const PANDAS = createPolicy({ packs: [shippedPack('pandas')] });

const isFloat = (a: PdArray): boolean => /^(float|Float)/.test(a.dtype) || (a.kind === 'categorical' && isFloat(a.categories!.values!));

function cells(a: PdArray): unknown[] {
  return a.toArray().map((v) => (v === null ? null : isFloat(a) ? { float: Number(v) } : described(v)));
}

function index(ix: PdIndex): unknown {
  const name = ix.name === null ? null : described(ix.name);
  if (ix.range !== null) return { index: { kind: 'range', name, ...ix.range } };
  if (ix.multi !== null) {
    return {
      index: {
        kind: 'multi',
        names: ix.multi.names.map((n) => (n === null ? null : described(n))),
        levels: ix.multi.levels.map(index),
        codes: ix.multi.codes.map((c) => Array.from({ length: c.shape[0]! }, (_, i) => Number((c.toTypedArray() as ArrayLike<number | bigint>)[i]))),
      },
    };
  }
  return { index: { kind: ix.kind, name, dtype: ix.dtype, cells: cells(ix.values!) } };
}

function pandasForm(v: unknown): unknown {
  if (v instanceof PdDataFrame) return { dataframe: { columns: index(v.columns), index: index(v.index), dtypes: v.data.map((c) => c.dtype), data: v.data.map(cells) } };
  if (v instanceof PdSeries) return { series: { name: v.name === null ? null : described(v.name), index: index(v.index), dtype: v.dtype, data: cells(v.values!) } };
  if (v instanceof PdIndex) return index(v);
  throw new Error(`not a pandas value: ${String(v)}`);
}

describe(`corpus/realworld/pandas (${files.length} pickles)`, () => {
  it('has fixtures', () => expect(files.length).toBeGreaterThan(15));
  it.each(files)('%s', (_name, path, spec) => {
    const value = loads(readFileSync(path), { policy: PANDAS, exact: true });
    expect(pandasForm(value)).toEqual(expectedForm(spec.value));
  });
});

const compressed = realworldFixtures('pandas', (n) => /\.pkl\.[a-z0-9]+$/.test(n));

describe(`DataFrame.to_pickle files (${compressed.length}, compression from the name)`, () => {
  it('has fixtures', () => expect(compressed.length).toBeGreaterThanOrEqual(4));
  it.each(compressed)('%s', async (_name, path, spec) => {
    const bytes = new Uint8Array(readFileSync(path));
    if (spec.error !== undefined) {
      const e = await loadPandas(bytes).then(() => null, (x: unknown) => x);
      expect(e).toBeInstanceOf(MalformedPickleError);
      expect((e as Error).message).toContain(spec.names as string);
      return;
    }
    expect(pandasForm(await loadPandas(bytes, { exact: true }))).toEqual(expectedForm(spec.value));
  });
});

describe('corpus/realworld/hostile: pandas variants', () => {
  const cases = hostileCases('pandas');
  it('has cases', () => expect(cases.length).toBeGreaterThanOrEqual(2));
  it.each(cases)('%s', async (_name, bytes, c) => {
    expect(await loadOutcome(() => loads(bytes, { policy: PANDAS })), c.why).toBe(c.expect);
    expect(audit(bytes, { policy: PANDAS }).verdict, c.why).toBe(VERDICT_OF[c.expect]);
  });
});

describe('loadPandas names what it does not open', () => {
  it.each([
    ['zstd', Uint8Array.of(0x28, 0xb5, 0x2f, 0xfd, 0, 0, 0, 0)],
    ['lzma', Uint8Array.of(0x5d, 0, 0, 0x80, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0)],
  ])('%s', async (format, bytes) => {
    await expect(loadPandas(bytes)).rejects.toThrow(new RegExp(`compressed with ${format}: not read`));
    await expect(loadPandas(bytes)).rejects.toBeInstanceOf(MalformedPickleError);
  });
});

describe('PdDataFrame API', () => {
  const [, path] = files.find(([n]) => n.endsWith('/mixed.p4.pkl'))!;
  const frame = loads(readFileSync(path), { policy: PANDAS }) as PdDataFrame;

  it('column(name) gives a typed column, toRows() the rows by label', () => {
    expect(frame.shape).toEqual([6, 15]);
    expect(frame.column('Int64')!.toArray()).toEqual([1, null, 3, -4, 5, null]);
    expect(frame.column('Int64')!.dtype).toBe('Int64');
    expect(frame.column('cat')!.toArray()).toEqual(['x', 'y', 'x', null, 'z', 'y']);
    expect(frame.column('tz')!.dtype).toBe('datetime64[ns, UTC]');
    expect(frame.column('dt')!.get(2)).toBe(null);
    expect(frame.column('dt')!.get(0)).toBe(1704067200000000000n);
    expect(frame.column('nope')).toBeUndefined();
    const rows = frame.toRows();
    expect(rows).toHaveLength(6);
    expect(rows[1]!.obj).toBe('héllo');
    expect(rows[1]!.string).toBe(null);
    expect(rows[0]!.b).toBe(true);
  });

  it('loads with dicts: "object" too', () => {
    const f = loads(readFileSync(path), { policy: PANDAS, dicts: 'object' }) as PdDataFrame;
    expect(f.toRows()).toEqual(frame.toRows());
  });
});

describe('the JSON form (pickleguard convert) of every real pandas fixture', () => {
  it('holds each column by name, with its dtype and the values toJson gives for get(i) (datetimes: isoformat(i)), cut at maxItems', async () => {
    const { toJson } = await import('../src/model/json.js');
    const shown = (a: PdArray, r: number) => (a.kind === 'datetime' ? a.isoformat(r) : toJson(a.get(r)));
    let frames = 0;
    for (const [, f] of files) {
      const v = loads(new Uint8Array(readFileSync(f)), { policy: PANDAS });
      for (const max of [1000, 2]) {
        const j = toJson(v, max) as Record<string, any>;
        if (v instanceof PdDataFrame) {
          frames++;
          const d = j.$dataframe;
          expect(d.shape).toEqual(v.shape);
          expect(d.columns).toHaveLength(v.data.length);
          v.data.forEach((c, i) => {
            const col = d.columns[i];
            expect(col.name).toEqual(toJson(v.columnNames[i]));
            expect(col.dtype).toBe(c.dtype);
            const n = Math.min(c.length, max);
            expect(col.data).toEqual(Array.from({ length: n }, (_, r) => shown(c, r)));
            expect(col.cut).toBe(c.length > max ? c.length : undefined);
          });
          expect(d.index.data).toHaveLength(Math.min(v.index.length, max));
        } else if (v instanceof PdSeries) {
          expect(j.$series.dtype).toBe(v.dtype);
          expect(j.$series.data).toEqual(Array.from({ length: Math.min(v.values!.length, max) }, (_, r) => shown(v.values!, r)));
        } else if (v instanceof PdIndex) {
          expect(j.$index.kind).toBe(v.kind);
          expect(j.$index.data).toEqual(Array.from({ length: Math.min(v.length, max) }, (_, r) => (v.values?.kind === 'datetime' ? v.values.isoformat(r) : toJson(v.get(r)))));
        }
      }
    }
    expect(frames).toBeGreaterThan(10);
  });
});

describe('time zones (tz_* fixtures): tz-aware columns and indexes in pytz zones across DST changes, fixed offsets, datetime.timezone, zoneinfo; NaT', () => {
  const tz = files.filter(([, , spec]) => spec.iso !== undefined);
  const iso = (a: PdArray | null): (string | null)[] | null => (a?.kind === 'datetime' ? Array.from({ length: a.length }, (_, i) => a.isoformat(i)) : null);
  it('has fixtures', () => expect(tz.length).toBeGreaterThanOrEqual(5));
  it.each(tz)('%s: every datetime is pandas\' Timestamp.isoformat(), in values and in the JSON form', async (_name, path, spec) => {
    const { toJson } = await import('../src/model/json.js');
    const v = loads(readFileSync(path), { policy: PANDAS }) as PdDataFrame | PdSeries;
    const columns = v instanceof PdDataFrame ? v.data : [v.values!];
    const got = { index: iso(v.index.values), columns: columns.map(iso) };
    expect(got).toEqual(spec.iso);
    const j = toJson(v) as Record<string, any>;
    const jsonColumns = v instanceof PdDataFrame ? j.$dataframe.columns.map((c: { data: unknown[] }) => c.data) : [j.$series.data];
    const index = v instanceof PdDataFrame ? j.$dataframe.index : j.$series.index;
    got.columns.forEach((c, i) => c !== null && expect(jsonColumns[i]).toEqual(c));
    if (got.index !== null) expect(index.data).toEqual(got.index);
  });
  it('names zones as pandas does in dtypes', () => {
    const [, path] = tz.find(([n]) => n.endsWith('tz_columns.p4.pkl'))!;
    const frame = loads(readFileSync(path), { policy: PANDAS }) as PdDataFrame;
    expect(frame.data.map((c) => c.dtype)).toEqual(['datetime64[ns, Europe/Paris]', 'datetime64[ns, America/New_York]', 'datetime64[ns, pytz.FixedOffset(330)]', 'datetime64[ns, UTC-03:00]', 'datetime64[ns, Europe/London]', 'int64']);
  });
});

describe('isoformat', () => {
  it('writes what pandas writes before 1970, at the second and the nanosecond, and the UTC instant with Z for a zone it cannot read', async () => {
    const { isoformat } = await import('../src/model/pandas.js');
    const { PyTzInfo } = await import('../src/model/pytz.js');
    expect(isoformat(-1n, null)).toBe('1969-12-31T23:59:59.999999999');
    expect(isoformat(-1_000_000_000n, null)).toBe('1969-12-31T23:59:59');
    expect(isoformat(-500_000_000n, PyTzInfo.fixed(-90))).toBe('1969-12-31T22:29:59.500000-01:30');
    expect(isoformat(1_700_000_000n, null, 's')).toBe('2023-11-14T22:13:20');
    expect(isoformat(0n, PyTzInfo.zoneOf('Nowhere/Atlantis'))).toBe('1970-01-01T00:00:00Z');
    expect(isoformat(9_000_000_000_000_000_000n, null, 's')).toMatch(/after 1970-01-01$/);
  });
});

describe("pandas 3: public class names and Arrow-backed strings", () => {
  const strings = files.find(([n]) => n === '3.0.5/strings.p4.pkl');
  it.skipIf(strings === undefined)('str columns miss as NaN, string columns as null (NA); object columns stay numpy; a str index holds labels', () => {
    const f = loads(readFileSync(strings![1]), { policy: PANDAS }) as PdDataFrame;
    expect(f.data.map((c) => [c.dtype, c.kind])).toEqual([['str', 'string'], ['string', 'string'], ['string', 'string'], ['str', 'string'], ['object', 'numpy'], ['str', 'string']]);
    expect(f.column('str')!.toArray()).toEqual(['x', 'héllo', NaN, '', 'ü€𝄞', 'z']);
    expect(f.column('string_pyarrow')!.toArray()).toEqual(['x', 'héllo', null, '', 'ü€𝄞', 'z']);
    expect(f.column('string_python')!.toArray()).toEqual(f.column('string_pyarrow')!.toArray());
    expect(f.column('missing')!.toArray()).toEqual(Array(6).fill(NaN));
    expect([f.index.kind, f.index.dtype, f.index.get(5)]).toEqual(['object', 'str', 'r6']);
  });

  const pandas3 = (name: string, ...args: unknown[]) => dumps(new PyObject(new PyGlobal('pandas', name), args));
  it.each([
    ['pandas.Index called', pandas3('Index', ['a'])],
    ['pandas.NA called', pandas3('NA')],
    ['pandas.DataFrame called with data', pandas3('DataFrame', [[1]])],
    ['_new_Index of a DataFrame', dumps(new PyObject(new PyGlobal('pandas.core.indexes.base', '_new_Index'), [new PyGlobal('pandas', 'DataFrame'), new Map()]))],
    ['StringDtype with a third argument', pandas3('StringDtype', 'python', NaN, 1)],
  ])('refuses %s: the public names are allowed only as pandas uses them', (_what, bytes) => {
    expect(() => loads(bytes, { policy: PANDAS })).toThrow(RefusedGlobalError);
  });
});

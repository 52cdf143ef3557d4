/**
 * pandas 3's Arrow-backed strings: `pyarrow.lib._restore_array` of a string or large_string array,
 * read from its buffers under the pandas pack. Hostile buffers are refused with our errors, and
 * random mutations of a real fixture's buffers give either the strings an independent reading of
 * the buffers gives, or one of our errors; never a TypeError or RangeError.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createPolicy, dumps, loads, MalformedPickleError, PdDataFrame, PickleError, PyByteArray, PyGlobal, PyObject, PyTuple, RefusedGlobalError, shippedPack } from '../src/index.js';
import { PaBuffer, PaStrings, PaType } from '../src/policy/reconstructors/pyarrow.js';
import { realworldFixtures } from './helpers/described.js';
import { Rng } from './helpers/fuzz-tools.js';

const PANDAS = createPolicy({ packs: [shippedPack('pandas')] });
const pa = (name: string, ...args: unknown[]): PyObject => new PyObject(new PyGlobal('pyarrow.lib', name), args);
const bytes = (...b: number[]): PyByteArray => PyByteArray.copyOf(b);
const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const offsets = (width: 4 | 8, ...o: number[]): Uint8Array => {
  const v = new DataView(new ArrayBuffer(o.length * width));
  o.forEach((x, i) => (width === 4 ? v.setInt32(i * 4, x, true) : v.setBigInt64(i * 8, BigInt(x), true)));
  return new Uint8Array(v.buffer);
};

interface Spec {
  type?: unknown;
  length: unknown;
  nulls?: unknown;
  offset?: unknown;
  buffers: unknown[];
  children?: unknown[];
  dictionary?: unknown;
}

/** The pickle of `_restore_array((type_for_alias(type), length, nulls, offset, [py_buffer(b) | None, …], children, dictionary))`. */
function arrayPickle(s: Spec): Uint8Array {
  const type = typeof s.type === 'object' ? s.type : pa('type_for_alias', s.type ?? 'large_string');
  const buffers = s.buffers.map((b) => (b === null || b instanceof PyObject ? b : pa('py_buffer', b)));
  return dumps(pa('_restore_array', PyTuple.fromArray([type, s.length, s.nulls ?? 0, s.offset ?? 0, buffers, s.children ?? [], s.dictionary ?? null])), { protocol: 4 });
}

const load = (s: Spec): unknown => (loads(arrayPickle(s), { policy: PANDAS }) as PaStrings).value;

describe('pyarrow string arrays', () => {
  it('reads string (int32 offsets) and large_string (int64), with an array offset into the buffers and nulls from the validity bitmap', () => {
    const data = text('xhéllo€𝄞z');
    expect(load({ type: 'string', length: 3, nulls: 1, offset: 1, buffers: [bytes(0b1011), offsets(4, 0, 1, 7, 7, 14), data] })).toEqual(['héllo', null, '€𝄞']);
    expect(load({ type: 'large_utf8', length: 4, nulls: -1, buffers: [null, offsets(8, 0, 1, 7, 14, 15), data] })).toEqual(['x', 'héllo', '€𝄞', 'z']);
    expect(load({ type: 'utf8', length: 0, buffers: [null, null, null] })).toEqual([]);
  });

  it('dumps back the calls pyarrow pickled', () => {
    const p = arrayPickle({ length: 1, buffers: [null, offsets(8, 0, 2), text('ab')] });
    const v = loads(p, { policy: PANDAS });
    expect(v).toBeInstanceOf(PaStrings);
    expect(dumps(v, { protocol: 4 })).toEqual(p);
  });

  const hostile: [string, Spec, typeof MalformedPickleError | typeof RefusedGlobalError, RegExp][] = [
    ['offsets past the data', { length: 1, buffers: [null, offsets(8, 0, 5), text('abc')] }, MalformedPickleError, /offset 5 is outside the 3 data bytes/],
    ['a negative offset', { type: 'string', length: 1, buffers: [null, offsets(4, -1, 2), text('abc')] }, MalformedPickleError, /offset -1 is outside/],
    ['decreasing offsets', { length: 2, buffers: [null, offsets(8, 0, 3, 1), text('abc')] }, MalformedPickleError, /decrease/],
    ['length past the offsets', { length: 3, buffers: [null, offsets(8, 0, 1, 2), text('abc')] }, MalformedPickleError, /offsets buffer is too short for offset 0 and length 3/],
    ['offset + length past the offsets', { length: 2, offset: 1, buffers: [null, offsets(8, 0, 1, 2), text('abc')] }, MalformedPickleError, /offsets buffer is too short for offset 1 and length 2/],
    ['no offsets buffer', { length: 1, buffers: [null, null, text('abc')] }, MalformedPickleError, /offsets buffer is too short/],
    ['a validity bitmap too short', { length: 9, nulls: 0, buffers: [bytes(0xff), offsets(8, ...Array(10).fill(0)), text('')] }, MalformedPickleError, /validity bitmap is too short/],
    ['a null count the bitmap does not have', { length: 2, nulls: 1, buffers: [bytes(0b11), offsets(8, 0, 1, 2), text('ab')] }, MalformedPickleError, /says it has 1 nulls, its validity bitmap 0/],
    ['nulls without a bitmap', { length: 2, nulls: 1, buffers: [null, offsets(8, 0, 1, 2), text('ab')] }, MalformedPickleError, /without a validity bitmap/],
    ['more nulls than values', { length: 1, nulls: 2, buffers: [bytes(0), offsets(8, 0, 0), text('')] }, MalformedPickleError, /1 values cannot have 2 nulls/],
    ['an encoded surrogate (not UTF-8 to Python)', { length: 1, buffers: [null, offsets(8, 0, 3), Uint8Array.of(0xed, 0xa0, 0x80)] }, MalformedPickleError, /not valid UTF-8/],
    ['a stray continuation byte', { length: 1, buffers: [null, offsets(8, 0, 1), Uint8Array.of(0x80)] }, MalformedPickleError, /not valid UTF-8/],
    ['a length past any buffer', { length: 2n ** 62n, buffers: [null, offsets(8, 0), text('')] }, MalformedPickleError, /length must be in/],
    ['a non-string arrow type', { type: 'int64', length: 1, buffers: [null, offsets(8, 0, 0), text('')] }, RefusedGlobalError, /pyarrow type 'int64' is not read here, only string and large_string/],
    ['a dictionary type', { type: 'dictionary<values=string, indices=int32>', length: 0, buffers: [null, null, null] }, RefusedGlobalError, /dictionary<values=string/],
    ['a py_buffer of a str', { length: 1, buffers: [null, pa('py_buffer', 'ab'), text('ab')] }, RefusedGlobalError, /py_buffer/],
    ['a py_buffer of a list', { length: 1, buffers: [null, pa('py_buffer', [0, 2]), text('ab')] }, RefusedGlobalError, /py_buffer/],
    ['a type that is not a pyarrow type', { type: text('large_string'), length: 0, buffers: [null, null, null] }, MalformedPickleError, /_restore_array\(\) takes \(string type/],
    ['a buffer that is not a py_buffer', { length: 1, buffers: [null, new PyObject(new PyGlobal('builtins', 'bytearray'), [offsets(8, 0, 0)]), text('')] }, MalformedPickleError, /is a py_buffer or None/],
    ['children', { length: 0, buffers: [null, null, null], children: [1] }, RefusedGlobalError, /_restore_array/],
    ['a dictionary', { length: 0, buffers: [null, null, null], dictionary: 1 }, RefusedGlobalError, /_restore_array/],
    ['two buffers', { length: 0, buffers: [null, null] }, RefusedGlobalError, /_restore_array/],
  ];
  it.each(hostile)('refuses %s with our error', (_what, spec, cls, message) => {
    const e = (() => {
      try {
        load(spec);
      } catch (x) {
        return x;
      }
      return null;
    })();
    expect(e).toBeInstanceOf(cls);
    expect((e as Error).message).toMatch(message);
  });
});

/** The strings of a string array read directly from the spec of Arrow's layout, or null where it is not one. */
function reference(width: 4 | 8, length: number, nulls: number, offset: number, validity: Uint8Array | null, offs: Uint8Array | null, data: Uint8Array | null): (string | null)[] | null {
  if (length === 0) return nulls > 0 ? null : [];
  if (offs === null || offs.length < (offset + length + 1) * width) return null;
  if (validity !== null && validity.length * 8 < offset + length) return null;
  const d = data ?? new Uint8Array(0);
  const view = new DataView(offs.buffer, offs.byteOffset, offs.byteLength);
  const o = Array.from({ length: length + 1 }, (_, i) => Number(width === 4 ? view.getInt32((offset + i) * 4, true) : view.getBigInt64((offset + i) * 8, true)));
  if (o.some((x, i) => x < 0 || x > d.length || (i > 0 && x < o[i - 1]!))) return null;
  const out: (string | null)[] = [];
  for (let i = 0; i < length; i++) {
    const bit = offset + i;
    if (validity !== null && !(validity[bit >> 3]! & (1 << (bit & 7)))) out.push(null);
    else {
      const s = Buffer.from(d.subarray(o[i]!, o[i + 1]!)).toString('utf8');
      if (!Buffer.from(s, 'utf8').equals(d.subarray(o[i]!, o[i + 1]!))) return null; // not valid UTF-8
      out.push(s);
    }
  }
  const counted = out.filter((s) => s === null).length;
  if (nulls > length || (nulls >= 0 && counted !== nulls) || (validity === null && nulls > 0)) return null;
  return out;
}

describe("random mutations of a real pandas 3 fixture's Arrow string buffers", () => {
  const fixture = realworldFixtures('pandas', (n) => n === 'strings.p4.pkl').find(([n]) => n.startsWith('3.'));
  it.skipIf(fixture === undefined)('give the strings the buffers hold, or our error: never a TypeError or RangeError', () => {
    const frame = loads(readFileSync(fixture![1]), { policy: PANDAS }) as PdDataFrame;
    const arrays = frame.data
      .map((c) => (c.source as PyObject | null)?.state)
      .filter((s): s is Map<unknown, unknown> => s instanceof Map && s.get('_pa_array') instanceof PaStrings)
      .map((s) => (s.get('_pa_array') as PaStrings).pickled.args[0] as unknown[]);
    expect(arrays.length).toBeGreaterThanOrEqual(3);
    const rng = new Rng(31);
    let loaded = 0;
    let refused = 0;
    const bugs: string[] = [];
    for (let r = 0; r < 3000; r++) {
      const [type, length, nulls, offset, buffers] = rng.pick(arrays) as [PaType, number, number, number, (PaBuffer | null)[]];
      const bufs = buffers.map((b) => (b === null ? null : Uint8Array.from(b.value)));
      const meta = [length, nulls, offset];
      for (let k = rng.range(1, 3); k > 0; k--) {
        const which = rng.int(6);
        if (which < 3) meta[which] = rng.pick([0, 1, -1, meta[which]! + 1, meta[which]! - 1, rng.int(40), 2 ** 31]);
        else {
          const b = bufs[which - 3];
          const op = rng.int(4);
          if (b === null || op === 0) bufs[which - 3] = rng.chance(0.3) ? null : Uint8Array.from(rng.bytes(rng.int(24)));
          else if (op === 1) b[rng.int(b.length)] = rng.pick([0, 0xff, 0x80, 0xc3, 0xed, rng.int(256)]);
          else if (op === 2) bufs[which - 3] = b.subarray(0, rng.int(b.length + 1));
          else bufs[which - 3] = Uint8Array.from([...b, ...rng.bytes(rng.range(1, 9))]);
        }
      }
      const alias = type.value === 8 ? 'large_string' : 'string';
      const spec = { type: alias, length: meta[0], nulls: meta[1], offset: meta[2], buffers: bufs.map((b) => (b === null ? null : PyByteArray.copyOf(b))) };
      const [l, n, o] = meta as [number, number, number];
      const expected = l < 0 || o < 0 || n < -1 ? null : reference(type.value, l, n, o, bufs[0]!, bufs[1]!, bufs[2]!);
      try {
        const got = load(spec);
        loaded++;
        if (expected === null || JSON.stringify(got) !== JSON.stringify(expected)) bugs.push(`loaded ${JSON.stringify(got)}, expected ${JSON.stringify(expected)}`);
      } catch (e) {
        refused++;
        if (!(e instanceof PickleError) || e.code === 'internal_error' || e.code === 'reconstructor_failed') bugs.push(`${(e as Error).name}: ${(e as Error).message}`);
        else if (expected !== null) bugs.push(`refused ${e.message}, expected ${JSON.stringify(expected)}`);
      }
      if (bugs.length >= 5) break;
    }
    expect(bugs).toEqual([]);
    expect(loaded).toBeGreaterThan(100);
    expect(refused).toBeGreaterThan(100);
  });
});

/**
 * `pickleguard convert FILE`: load a pickle under a policy (or in inspection mode, where
 * nothing the policy lacks is called) and print it as JSON. Values JSON cannot hold are tagged
 * objects: {"$tuple": […]}, {"$bytes": "<base64>"}, {"$int": "<digits>"}, {"$float": "nan"}, …
 */
import { EndOfInputError, PickleError } from '../errors.js';
import { PyByteArray } from '../model/bytearray.js';
import { PyComplex } from '../model/complex.js';
import { PyFloat } from '../model/float.js';
import { PyFrozenSet } from '../model/frozenset.js';
import { PyGlobal } from '../model/global.js';
import { PyObject } from '../model/object.js';
import { isReducible, REDUCE, type Reduction } from '../model/reduce.js';
import { PyStr } from '../model/str.js';
import { PyTuple } from '../model/tuple.js';
import { EXIT_FINDINGS, EXIT_OK, EXIT_USAGE, parseCommand, readFailure, UsageError } from './args.js';
import { readPack } from './packs.js';
import { createPolicy } from '../policy/registry.js';
import { SHIPPED_PACKS } from '../policy/shipped.js';
import { Unpickler } from '../unpickler/unpickler.js';
import { NdArray, NpScalar } from '../model/ndarray.js';
import { TorchTensor } from '../model/tensor.js';
import { ndarrayJson, scalarJson, tensorJson } from './ndjson.js';

export interface ConvertIO {
  stdout(text: string): void;
  stderr(text: string): void;
  readFile(path: string): Uint8Array;
  /** All of standard input (for the FILE -). */
  readStdin(): Promise<Uint8Array>;
}

export const CONVERT_USAGE = `Usage: pickleguard convert [options] FILE

Load the pickles in FILE ('-' reads standard input) under a policy and print them as JSON, one document per pickle (a JSON
array when there are several). Values JSON cannot hold are tagged objects: {"$tuple": [...]},
{"$set": [...]}, {"$frozenset": [...]}, {"$dict": [[key, value], ...]} for dicts with keys that are
not strings, {"$bytes": base64}, {"$bytearray": base64}, {"$int": "digits"} beyond 2**53,
{"$float": "nan" | "inf" | "-inf" | "-0.0"}, {"$complex": [re, im]}, {"$global": "module.name"},
{"$object": "module.name", "args", "state", ...} for records and stdlib values, {"$ref": n} for a
container met again (its first occurrence carries "$id": n).

Options:
  --to json          the output format (json, the default and only one)
  --policy PACK      load under these packs: JSON files or shipped pack ids (repeatable; default:
                     the default policy)
  --inspect          inspection mode: names the policy lacks become inert records, nothing is called
  --encoding ENC     how Python 2 str is decoded (default ASCII; latin1 for binary data)
  -h, --help         show this help

Exit status: 0 converted; 1 the pickle was refused or is malformed; 2 usage or I/O error.
`;


/** Stands for a persistent id in the output: {"$object": "<persistent>.id", "args": [pid]}. */
const PERSISTENT = new PyGlobal('<persistent>', 'id');

const b64 = (b: Uint8Array): string => {
  let s = '';
  for (let i = 0; i < b.length; i += 8192) s += String.fromCharCode(...b.subarray(i, i + 8192));
  return btoa(s);
};

/**
 * The JSON form of a loaded value; iterative over containers would be nicer, but nesting is bounded by maxDepth.
 * Arrays and tensors show at most `maxItems` items each (src/cli/ndjson.ts).
 */
export function toJson(root: unknown, maxItems = 1000): unknown {
  const ids = new Map<object, number>();
  const seen = new Set<object>();
  const conv = (v: unknown, depth: number): unknown => {
    if (depth > 2000) return { $truncated: 'nested deeper than 2000' };
    if (v === null || typeof v === 'boolean' || typeof v === 'string') return v;
    if (typeof v === 'number') {
      if (Number.isNaN(v)) return { $float: 'nan' };
      if (!Number.isFinite(v)) return { $float: v > 0 ? 'inf' : '-inf' };
      if (Object.is(v, -0)) return { $float: '-0.0' };
      return v;
    }
    if (typeof v === 'bigint') return { $int: v.toString() };
    if (typeof v !== 'object') return { $unknown: typeof v };
    if (v instanceof PyFloat) return conv(v.value, depth);
    if (v instanceof PyStr) return v.text;
    if (v instanceof PyComplex) return { $complex: [conv(v.real, depth), conv(v.imag, depth)] };
    if (v instanceof PyByteArray) return { $bytearray: b64(v) };
    if (v instanceof Uint8Array) return { $bytes: b64(v) };
    if (v instanceof PyGlobal) return { $global: v.toString() };
    if (seen.has(v)) {
      let id = ids.get(v);
      if (id === undefined) ids.set(v, (id = ids.size));
      return { $ref: id };
    }
    seen.add(v);
    const tag = (o: Record<string, unknown>) => {
      const id = ids.get(v);
      return id === undefined ? o : { $id: id, ...o };
    };
    let out: Record<string, unknown> | unknown[];
    // Arrays as nested lists of their items (at most maxItems), not as the reduce arguments that make them.
    const item = (x: unknown) => conv(x, depth + 1);
    if (v instanceof NdArray) out = ndarrayJson(v, maxItems, item) as Record<string, unknown>;
    else if (v instanceof NpScalar) out = scalarJson(v, item) as Record<string, unknown>;
    else if (v instanceof TorchTensor) out = tensorJson(v, maxItems, item) as Record<string, unknown>;
    else if (v instanceof PyObject) {
      out = {
        $object: v.callable instanceof PyGlobal ? v.callable.toString() : conv(v.callable, depth + 1),
        kind: v.kind,
        args: v.args.map((x) => conv(x, depth + 1)),
        ...(v.kwargs ? { kwargs: conv(v.kwargs, depth + 1) } : {}),
        ...(v.state !== undefined ? { state: conv(v.state, depth + 1) } : {}),
        ...(v.listitems.length ? { listitems: v.listitems.map((x) => conv(x, depth + 1)) } : {}),
        ...(v.dictitems.size ? { dictitems: conv(v.dictitems, depth + 1) } : {}),
      };
    } else if (v instanceof PyTuple) out = { $tuple: v.map((x) => conv(x, depth + 1)) };
    else if (Array.isArray(v) && Object.getPrototypeOf(v) === Array.prototype) out = v.map((x) => conv(x, depth + 1));
    else if (v instanceof Map && Object.getPrototypeOf(v) === Map.prototype) {
      const keys = [...v.keys()];
      out = keys.every((k) => typeof k === 'string' && !k.startsWith('$'))
        ? Object.fromEntries([...v].map(([k, x]) => [k, conv(x, depth + 1)]))
        : { $dict: [...v].map(([k, x]) => [conv(k, depth + 1), conv(x, depth + 1)]) };
    } else if (v instanceof PyFrozenSet) out = { $frozenset: [...v].map((x) => conv(x, depth + 1)) };
    else if (v instanceof Set && Object.getPrototypeOf(v) === Set.prototype) out = { $set: [...v].map((x) => conv(x, depth + 1)) };
    else if (isReducible(v)) {
      const r = (v as { [REDUCE](p: number): Reduction | PyGlobal })[REDUCE](4);
      if (r instanceof PyGlobal) return { $global: r.toString() };
      // cls.__new__(cls, …) is shown as the class.
      const newobj = r.callable instanceof PyGlobal && r.callable.qualname === '__newobj__' && r.args[0] instanceof PyGlobal;
      const args = newobj ? [...r.args].slice(1) : [...r.args];
      out = {
        $object: newobj ? String(r.args[0]) : r.callable instanceof PyGlobal ? r.callable.toString() : conv(r.callable, depth + 1),
        ...(typeof (v as { toString?: unknown }).toString === 'function' && (v as object).toString !== Object.prototype.toString ? { text: String(v) } : {}),
        args: args.map((x) => conv(x, depth + 1)),
        ...(r.state != null ? { state: conv(r.state, depth + 1) } : {}),
        ...(r.listitems ? { listitems: [...r.listitems].map((x) => conv(x, depth + 1)) } : {}),
        ...(r.dictitems ? { dictitems: [...r.dictitems].map(([k, x]) => [conv(k, depth + 1), conv(x, depth + 1)]) } : {}),
      };
    } else if (Object.getPrototypeOf(v) === null) out = Object.fromEntries(Object.entries(v).map(([k, x]) => [k, conv(x, depth + 1)]));
    else return { $unknown: (v as object).constructor?.name ?? 'object' };
    return Array.isArray(out) ? (ids.has(v) ? { $id: ids.get(v), $list: out } : out) : tag(out);
  };
  // Two passes: the first finds the containers met twice (so their first occurrence can carry $id).
  conv(root, 0);
  seen.clear();
  return conv(root, 0);
}

export async function runConvert(argv: readonly string[], io: ConvertIO): Promise<number> {
  const { values: v, positionals } = parseCommand('convert', argv, ['to', 'policy', 'inspect', 'encoding']);
  if (v.help) {
    io.stdout(CONVERT_USAGE);
    return EXIT_OK;
  }
  if (v.to !== undefined && v.to !== 'json') throw new UsageError(`--to must be json (the only format), not ${JSON.stringify(v.to)}`);
  if (positionals.length !== 1) throw new UsageError(positionals.length === 0 ? 'convert needs a FILE' : 'convert takes one FILE');
  const file = positionals[0]!;
  const packs = v.policy ?? [];
  const inspect = v.inspect === true;
  const encoding = v.encoding;
  let data: Uint8Array;
  let policy;
  try {
    data = file === '-' ? await io.readStdin() : io.readFile(file);
  } catch (e) {
    io.stderr(`pickleguard: ${readFailure(file, e)}\n`);
    return EXIT_USAGE;
  }
  try {
    const loaded = packs.map((p) => readPack(p, (path) => io.readFile(path)));
    policy = createPolicy({ name: loaded.length ? undefined : 'default', packs: loaded.length ? loaded : [SHIPPED_PACKS.find((p) => p.pack.id === 'python-stdlib')!], inspect });
  } catch (e) {
    io.stderr(`pickleguard: ${(e as Error).message}\n`);
    return EXIT_USAGE;
  }
  const values: unknown[] = [];
  const u = new Unpickler(data, { policy, ...(encoding ? { encoding } : {}), persistentLoad: (pid) => new PyObject(PERSISTENT, [pid]) });
  for (;;) {
    try {
      values.push(toJson(u.load()));
    } catch (e) {
      if (e instanceof EndOfInputError && values.length > 0) break;
      if (e instanceof PickleError) {
        io.stderr(`pickleguard: ${file === '-' ? '<stdin>' : file}: ${e.message}\n`);
        return EXIT_FINDINGS;
      }
      throw e;
    }
  }
  io.stdout(`${JSON.stringify(values.length === 1 ? values[0] : values, null, 2)}\n`);
  return EXIT_OK;
}

/**
 * Legacy PyTorch checkpoints (before 1.6), read as `torch.serialization._legacy_load` reads them, by
 * one reader of their layout that both the auditor and `loadTorch` drive: it finds each pickle and
 * each raw region and makes every check; the auditor audits each pickle where the reader finds it,
 * the loader loads it. So the two never read the bytes differently.
 *
 * The stream format: five pickles, each read by its own `pickle.load` (a fresh unpickler: no memo
 * carried over): the magic number, the protocol version (1001), sys_info, the object (its
 * persistent ids name storages), the list of storage keys; then per key an int64 element count and
 * the elements. The tar format (torch before 0.4): member `storages` (a count pickle, then per
 * storage a (key, location, type) pickle, an int64 count and the elements, then a views pickle of
 * (key, root key, offset, numel)), member `tensors` (a count pickle, then per tensor a (key, storage
 * key, tensor type) pickle, an int32 ndim and 4 bytes, ndim int64 sizes, ndim int64 strides, an int64
 * offset), member `pickle` (the object, whose persistent ids are those keys). Storage data is
 * little-endian (torch writes it so on every platform).
 */
import type { AuditOptions, AuditReport, Finding } from '../audit/analyze.js';
import { MalformedPickleError, PickleError } from '../errors.js';
import { storageInfo, TORCH_STORAGE_TYPES, TorchStorage, TorchTensor, type TorchDtype } from '../model/tensor.js';
import { PyTuple } from '../model/tuple.js';
import { checkView } from '../policy/reconstructors/torch.js';
import { ReconstructorArgumentError, type Policy } from '../policy/types.js';
import type { LoadOptions } from '../unpickler/options.js';
import { safeLoads, Unpickler } from '../unpickler/unpickler.js';
import { auditFirst, merge, shift } from './report.js';
import { tarMember, type TarListing } from './tar.js';
import { torchPolicy } from './torch-load.js';

/** The first pickle of a legacy stream: PROTO 2, then the magic number 0x1950a86a20f9469cfc6c as LONG1. */
export const TORCH_LEGACY_MAGIC = [0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19] as const;
const MAGIC_NUMBER = 0x1950a86a20f9469cfc6cn;
const PROTOCOL_VERSION = 1001;
const NO_DATA = new Uint8Array(0);

/**
 * Whether `data` starts with a pickle of torch's magic number, in any protocol (torch compares the
 * first pickle's value): its first STOP comes within the first 64 bytes, and that pickle loads to it.
 */
export function isLegacyStream(data: Uint8Array): boolean {
  if (TORCH_LEGACY_MAGIC.every((b, i) => data[i] === b)) return true;
  const stop = data.subarray(0, 64).indexOf(0x2e);
  if (stop < 0) return false;
  const r = safeLoads(data.subarray(0, stop + 1));
  return r.ok && r.value === MAGIC_NUMBER;
}

const bad = (message: string, offset?: number, code = 'bad_checkpoint'): never => {
  throw new MalformedPickleError(code, `legacy torch checkpoint: ${message}`, { offset });
};
/** A persistent id refused (the VM reports it as malformed, at its opcode). */
const badId = (message: string): never => {
  throw new ReconstructorArgumentError(message);
};
const MODULE_ID = "a ('module', …) persistent id: a pickled nn.Module, which torch.load(weights_only=True) refuses too";

/** How the layout reader has each pickle read: loaded (loadTorch) or audited (the auditor). */
interface PickleReader {
  /**
   * The pickle at `at` of `bytes` (`base + at` in the file), read by a fresh unpickler with
   * `persistentLoad`: its value (when `keep`) and where it ends. Throws where the reading stops.
   */
  read(bytes: Uint8Array, at: number, base: number, what: string, persistentLoad: ((pid: unknown) => unknown) | null, keep: boolean): { value: unknown; end: number };
  /** Storage bytes are views of the input (else copies). */
  readonly zeroCopy: boolean;
  /** Run one part of the layout (a tar member): the loader stops at its first error, the auditor notes it and reads on. */
  part(run: () => void): void;
}

/** Reads pickles one after another (through a PickleReader) and raw fields between them, every length checked. */
class Cursor {
  at = 0;
  constructor(
    readonly bytes: Uint8Array,
    /** Where `bytes` starts in the file. */
    readonly base: number,
    private readonly reader: PickleReader,
  ) {}

  pickle(what: string, persistentLoad: ((pid: unknown) => unknown) | null = null, keep = true): unknown {
    if (this.at >= this.bytes.length) bad(`the ${what} pickle is missing`, this.base + this.at);
    const { value, end } = this.reader.read(this.bytes, this.at, this.base, what, persistentLoad, keep);
    this.at = end;
    return value;
  }

  /** `n` raw bytes (a view or a copy, as the reader says). */
  raw(n: number, what: string): Uint8Array {
    if (!Number.isSafeInteger(n) || n < 0 || n > this.bytes.length - this.at) bad(`${what} runs past the end of the file`, this.base + this.at);
    const out = this.bytes.subarray(this.at, this.at + n);
    this.at += n;
    return this.reader.zeroCopy ? out : Uint8Array.prototype.slice.call(out); // not Buffer#slice, which is a view
  }

  /** A little-endian int32 or int64 (past 2**53 inexact: every use checks it as a count or size). */
  int(width: 4 | 8, what: string): number {
    if (this.at + width > this.bytes.length) bad(`${what} runs past the end of the file`, this.base + this.at);
    const view = new DataView(this.bytes.buffer, this.bytes.byteOffset + this.at, width);
    this.at += width;
    return width === 4 ? view.getInt32(0, true) : Number(view.getBigInt64(0, true));
  }
}

function storageType(type: unknown, fail: (message: string) => never = badId): { dtype: TorchDtype; itemsize: number } {
  const info = storageInfo(type);
  if (info === TORCH_STORAGE_TYPES.get('UntypedStorage')) return fail('the legacy format has no untyped storages');
  return info ?? fail(`unknown storage type ${String(type)}`);
}

const natural = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;
const count = (v: unknown, what: string, at: number): number => (natural(v) ? v : bad(`${what} is not a non-negative int`, at));

/** sys_info: torch reads it and goes on; a big-endian writer's storages are not read. */
function checkSysInfo(sysInfo: unknown, at: number): void {
  if (sysInfo instanceof Map && sysInfo.get('little_endian') === false) bad('it was written on a big-endian machine (not read here)', at);
}

interface Root {
  dtype: TorchDtype;
  itemsize: number;
  location: string;
  numel: number;
  views: Map<string, { offset: number; numel: number }>;
  /** Its elements, once read. */
  data?: Uint8Array;
}

/**
 * The stream format up to the end of its last storage: every pickle but the object's value (read
 * once, with stand-in storages, to learn the storages it names). Returns where the object starts,
 * the persistentLoad that gives its storages over the data read, and where the reading ended.
 */
function readStream(c: Cursor): { object: number; storages: (pid: unknown) => TorchStorage; end: number } {
  if (c.pickle('magic number') !== MAGIC_NUMBER) bad('the magic number is wrong', c.at);
  if (c.pickle('protocol version') !== PROTOCOL_VERSION) bad(`the protocol version is not ${PROTOCOL_VERSION}`, c.at);
  checkSysInfo(c.pickle('sys_info'), c.at);
  const object = c.at;
  const roots = new Map<string, Root>();
  /** ('storage', type, root key, location, root numel, None | (view key, offset, numel)) → the root, and the part of it named `name` (`id` among all). */
  const parse = (pid: unknown): { root: Root; id: string; name: string; offset: number; numel: number } => {
    if (pid instanceof PyTuple && pid[0] === 'module') return badId(MODULE_ID);
    if (!(pid instanceof PyTuple) || pid.length !== 6 || pid[0] !== 'storage') {
      return badId("a legacy persistent id must be ('storage', storage_type, key, location, numel, view)");
    }
    const [, type, key, location, numel, view] = pid;
    const { dtype, itemsize } = storageType(type);
    if (typeof key !== 'string' || key.length > 256 || typeof location !== 'string' || location.length > 64) return badId('a storage key and location must be short strs');
    const n = natural(numel) ? numel : badId('a storage numel must be a non-negative integer');
    let root = roots.get(key);
    if (root === undefined) roots.set(key, (root = { dtype, itemsize, location, numel: n, views: new Map() }));
    else if (root.dtype !== dtype || root.numel !== n) badId(`storage ${JSON.stringify(key)} is named with two types or sizes`);
    if (view === null) return { root, id: `${key}\n`, name: key, offset: 0, numel: n };
    if (!(view instanceof PyTuple) || view.length !== 3 || typeof view[0] !== 'string' || view[0].length > 256) return badId('a storage view must be (key, offset, numel)');
    const [name, offset, size] = view as unknown as [string, unknown, unknown];
    if (!natural(offset) || !natural(size) || offset + size > n) return badId(`storage view ${JSON.stringify(name)} lies outside its storage of ${n}`);
    const known = root.views.get(name);
    if (known !== undefined && (known.offset !== offset || known.numel !== size)) badId(`storage view ${JSON.stringify(name)} is given twice, differently`);
    root.views.set(name, { offset, numel: size });
    return { root, id: `${key}\n${name}`, name, offset, numel: size };
  };
  // One storage per id, over its root's data once read (before: empty stand-ins of the right size).
  const made = new Map<string, TorchStorage>();
  const storages = (pid: unknown): TorchStorage => {
    const { root, id, name, offset, numel } = parse(pid);
    let storage = made.get(id);
    if (storage === undefined) made.set(id, (storage = new TorchStorage(root.dtype, name, root.location, numel, root.data?.subarray(offset * root.itemsize, (offset + numel) * root.itemsize) ?? NO_DATA)));
    return storage;
  };
  c.pickle('object', storages, false);
  const keys = c.pickle('storage keys');
  if (!Array.isArray(keys) || !keys.every((k) => typeof k === 'string')) bad('the storage keys are not a list of str', c.at);
  for (const key of keys as string[]) {
    const name = JSON.stringify(key);
    const root = roots.get(key) ?? bad(`storage ${name} is listed but the object never names it`, c.base + c.at);
    if (root.data !== undefined) bad(`storage ${name} is listed twice`, c.base + c.at);
    const n = c.int(8, `the size of storage ${name}`);
    if (n !== root.numel) bad(`storage ${name} has ${n} elements in the file, the object says ${root.numel}`, c.base + c.at - 8);
    root.data = c.raw(n * root.itemsize, `the data of storage ${name}`);
  }
  // torch leaves such a storage uninitialized memory.
  for (const [key, root] of roots) if (root.data === undefined) bad(`storage ${JSON.stringify(key)} is named by the object but not listed`, c.at);
  made.clear();
  return { object, storages, end: c.at };
}

/**
 * The tar format's members `storages` and `tensors`, and `sys_info` when there is one (torch writes
 * it and never reads it: it is read as the stream's is, so that no pickle of the file goes unread).
 * Returns the cursor on member `pickle` (null when it is missing) and the persistentLoad of its keys.
 */
function readTar(bytes: Uint8Array, tar: TarListing, reader: PickleReader): { object: Cursor | null; load: (pid: unknown) => unknown } {
  const member = (name: string): Cursor => {
    const m = tarMember(tar, name) ?? bad(`no member ${JSON.stringify(name)}`, 0);
    return new Cursor(bytes.subarray(m.offset, m.offset + m.size), m.offset, reader);
  };
  const objects = new Map<string, TorchStorage | TorchTensor>();
  const keyOf = (v: unknown, what: string, at: number): string => {
    const text = typeof v === 'number' && Number.isSafeInteger(v) ? String(v) : typeof v === 'string' && /^-?\d{1,20}$/.test(v.trim()) ? String(BigInt(v.trim())) : typeof v === 'bigint' ? String(v) : null;
    return text ?? bad(`${what} is not an int key`, at);
  };
  /** The items of a tuple of `n`, else `message`. */
  const items = (v: unknown, n: number, message: string, at: number): unknown[] => (v instanceof PyTuple && v.length === n ? v : bad(message, at));
  const add = (key: string, value: TorchStorage | TorchTensor, at: number): void => {
    if (objects.has(key)) bad(`key ${key} is given twice`, at);
    objects.set(key, value);
  };
  reader.part(() => {
    if (tar.problems.length > 0) bad(`the tar archive is inconsistent: ${tar.problems.join('; ')}`, 0);
  });
  if (tarMember(tar, 'sys_info') !== undefined) reader.part(() => {
    const s = member('sys_info');
    checkSysInfo(s.pickle('sys_info'), s.base);
  });
  reader.part(() => {
    const s = member('storages');
    const n = count(s.pickle('storage count'), 'the storage count', s.base + s.at);
    for (let i = 0; i < n; i++) {
      const at = s.base + s.at;
      const [k, location, type] = items(s.pickle(`storage ${i} header`), 3, 'a storage header is not (key, location, storage type)', at);
      const key = keyOf(k, 'a storage key', at);
      const info = storageType(type, (m) => bad(`storage ${key}: ${m}`, at));
      if (typeof location !== 'string' || location.length > 64) bad('a storage location must be a short str', at);
      const size = s.int(8, `the size of storage ${key}`);
      if (size < 0) bad(`storage ${key} has a negative size`, s.base + s.at - 8);
      add(key, new TorchStorage(info.dtype, key, location as string, size, s.raw(size * info.itemsize, `the data of storage ${key}`)), at);
    }
    const at = s.base + s.at;
    const views = s.pickle('storage views');
    if (!Array.isArray(views)) bad('the storage views are not a list', at);
    for (const view of views as unknown[]) {
      const [k, r, offset, numel] = items(view, 4, 'a storage view is not (key, root key, offset, numel)', at);
      const key = keyOf(k, 'a view key', at);
      const root = objects.get(keyOf(r, 'a view root', at));
      if (!(root instanceof TorchStorage)) return bad(`storage view ${key} names no storage`, at);
      const o = count(offset, 'a view offset', at);
      const n = count(numel, 'a view numel', at);
      if (o + n > root.numel) bad(`storage view ${key} lies outside its storage of ${root.numel}`, at);
      add(key, new TorchStorage(root.dtype, key, root.location, n, root.data.subarray(o * root.itemsize, (o + n) * root.itemsize)), at);
    }
  });
  reader.part(() => {
    const t = member('tensors');
    const n = count(t.pickle('tensor count'), 'the tensor count', t.base + t.at);
    for (let i = 0; i < n; i++) {
      const at = t.base + t.at;
      const [k, storageKey] = items(t.pickle(`tensor ${i} header`), 3, 'a tensor header is not (key, storage key, tensor type)', at);
      const key = keyOf(k, 'a tensor key', at);
      const storage = objects.get(keyOf(storageKey, 'a tensor storage key', at));
      if (!(storage instanceof TorchStorage)) return bad(`tensor ${key} names no storage`, at);
      const ndim = t.int(4, 'a tensor header');
      if (ndim < 0 || ndim > 64) bad(`tensor ${key} has ${ndim} dimensions`, at);
      t.int(4, 'a tensor header');
      // Sizes, strides, then the offset.
      const fields = Array.from({ length: 2 * ndim + 1 }, () => count(t.int(8, 'a tensor header'), 'a tensor size, stride or offset', at));
      const [shape, stride, offset] = [fields.slice(0, ndim), fields.slice(ndim, -1), fields[2 * ndim]!];
      try {
        checkView(storage, offset, shape, stride);
      } catch (e) {
        bad(`tensor ${key}: ${(e as Error).message}`, at);
      }
      add(key, new TorchTensor(storage, offset, shape, stride), at);
    }
  });
  let object: Cursor | null = null;
  reader.part(() => {
    object = member('pickle');
  });
  const load = (pid: unknown): unknown => {
    if (pid instanceof PyTuple) return badId(MODULE_ID);
    const key = keyOf(pid, 'a persistent id', 0);
    return objects.get(key) ?? badId(`persistent id ${key} names no storage or tensor in the checkpoint`);
  };
  return { object, load };
}

// Loading.

type Options = Omit<LoadOptions, 'persistentLoad' | 'buffers'> & { policy: Policy };

/** Each pickle loaded by a fresh Unpickler under the options; the first error ends the load. */
function loader(options: Options): PickleReader {
  return {
    zeroCopy: options.zeroCopy === true,
    read(bytes, at, _base, _what, persistentLoad) {
      const u = new Unpickler(bytes.subarray(at), { ...options, persistentLoad });
      const value = u.load();
      return { value, end: at + u.position };
    },
    part: (run) => run(),
  };
}

/** Load the stream format: the layout, then the object again with the storages read. */
export function loadLegacyStream(bytes: Uint8Array, options: Options): unknown {
  const c = new Cursor(bytes, 0, loader(options));
  const { object, storages } = readStream(c);
  c.at = object;
  return c.pickle('object', storages);
}

/** Load the tar format: storages, views and tensors by key, then the object, whose persistent ids are those keys. */
export function loadLegacyTar(bytes: Uint8Array, tar: TarListing, options: Options): unknown {
  const { object, load } = readTar(bytes, tar, loader(options));
  return object!.pickle('object', load);
}

// Auditing.

/** The auditor's walk stopped after a refusal (where loading stops): the verdict is already unsafe. */
const REFUSED = 'walk_stopped';

/**
 * Each pickle audited alone (`firstOnly`) with its offset in the file. Its value, for the layout:
 * as loading gives it where the audit finds the pickle safe; past a refusal (loading stops there),
 * as the torch pack reads it, so that the walk lists what follows.
 */
class Auditor implements PickleReader {
  readonly zeroCopy = true;
  readonly parts: AuditReport[] = [];
  readonly findings: Finding[] = [];

  constructor(private readonly options: AuditOptions) {}

  read(bytes: Uint8Array, at: number, base: number, what: string, persistentLoad: ((pid: unknown) => unknown) | null, keep: boolean): { value: unknown; end: number } {
    const r = shift(auditFirst(bytes.subarray(at), { ...this.options, persistentLoad }), base + at);
    this.parts.push(r);
    const end = r.pickles[0]?.end;
    if (end === undefined || r.verdict === 'malformed') bad(`the ${what} pickle cannot be read`, base + at);
    if (!keep) return { value: undefined, end: end - base };
    const safe = r.verdict === 'safe';
    try {
      const u = new Unpickler(bytes.subarray(at), safe ? { ...this.options, persistentLoad, zeroCopy: true } : { policy: torchPolicy(), zeroCopy: true });
      return { value: u.load(), end: end - base };
    } catch (e) {
      if (safe) throw e;
      return bad(`the ${what} pickle is refused, and what follows depends on its value: not read further`, base + at, REFUSED);
    }
  }

  part(run: () => void): void {
    try {
      run();
    } catch (e) {
      if (!(e instanceof PickleError)) throw e;
      this.findings.push({ severity: e.code === REFUSED ? 'medium' : 'high', rule: 'PG007', message: e.message.replace(/ \(at byte \d+\)$/, ''), offset: e.offset ?? 0 });
    }
  }
}

/** Audit the legacy stream format; `data` starts with its magic-number pickle. */
export function auditLegacyStream(data: Uint8Array, options: AuditOptions, policy: string): AuditReport {
  const a = new Auditor(options);
  a.part(() => {
    const { end } = readStream(new Cursor(data, 0, a));
    if (end < data.length) a.findings.push({ severity: 'medium', rule: 'PG007', message: `${data.length - end} bytes after the last storage: torch never reads them`, offset: end });
  });
  return merge(a.parts, a.findings, data.length, policy);
}

/** Audit the tar format: its members as the loader reads them; a member that cannot be read is a finding, and the next is read. */
export function auditLegacyTar(data: Uint8Array, tar: TarListing, options: AuditOptions, policy: string): AuditReport {
  const a = new Auditor(options);
  const { object, load } = readTar(data, tar, a);
  a.part(() => void object?.pickle('object', load, false));
  return merge(a.parts, a.findings, data.length, policy);
}

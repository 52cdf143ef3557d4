/**
 * Legacy PyTorch checkpoints (before 1.6), read as `torch.serialization._legacy_load` reads them.
 *
 * The stream format: five pickles, each read by its own `pickle.load` (a fresh unpickler: no memo
 * carried over): the magic number, the protocol version (1001), sys_info, the object (its
 * persistent ids name storages), the list of storage keys; then each storage's raw bytes (an
 * 8-byte element count, then the elements). The tar format: member `storages` (a count pickle,
 * then per storage a (key, location, type) pickle and raw bytes, then a views pickle), member
 * `tensors` (a count pickle, then per tensor an args pickle and raw sizes), and member `pickle`,
 * the object. Every pickle is audited with `firstOnly`, walking by where each one ended.
 */
import type { AuditOptions, AuditReport, Finding } from '../audit/analyze.js';
import { storageInfo, TorchStorage } from '../model/tensor.js';
import { PyTuple } from '../model/tuple.js';
import { ReconstructorArgumentError } from '../policy/types.js';
import { safeLoads } from '../unpickler/unpickler.js';
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
const bad = (message: string): never => {
  throw new ReconstructorArgumentError(message);
};

/** The storage a legacy id names: a stand-in carrying its type and size, no data. */
function standIn(type: unknown, key: string, location: string, numel: unknown): TorchStorage {
  const info = storageInfo(type);
  if (info === undefined) return bad(`unknown storage type ${String(type)}`);
  if (typeof numel !== 'number' || !Number.isSafeInteger(numel) || numel < 0) return bad('a storage numel must be a non-negative integer');
  return new TorchStorage(info.dtype, key, location, numel, NO_DATA);
}

/** Walks pickles in `bytes`, each read alone (`firstOnly`), and collects their reports, shifted by `base`. */
class Walker {
  readonly parts: AuditReport[] = [];
  readonly findings: Finding[] = [];
  at = 0;

  constructor(
    private readonly bytes: Uint8Array,
    private readonly base: number,
    private readonly options: AuditOptions,
    private readonly what: string,
  ) {}

  /** Audit the next pickle; its bytes, or null (and a finding) when it could not be read to its end. */
  next(name: string, persistentLoad?: (pid: unknown) => unknown): Uint8Array | null {
    const start = this.at;
    if (start >= this.bytes.length) {
      this.fail(`${this.what}: the ${name} pickle is missing`, start);
      return null;
    }
    const r = shift(auditFirst(this.bytes.subarray(start), { ...this.options, persistentLoad: persistentLoad ?? null }), this.base + start);
    this.parts.push(r);
    const first = r.pickles[0];
    if (first === undefined || r.verdict === 'malformed') {
      this.fail(`${this.what}: the ${name} pickle cannot be read`, this.base + start);
      return null;
    }
    this.at = first.end - this.base;
    return this.bytes.subarray(start, this.at);
  }

  /** Skip `n` raw bytes; false (and a finding) when the input has fewer. */
  skip(n: number, what: string): boolean {
    if (!Number.isSafeInteger(n) || n < 0 || n > this.bytes.length - this.at) {
      this.fail(`${this.what}: ${what} runs past the end`, this.base + this.at);
      return false;
    }
    this.at += n;
    return true;
  }

  /** A little-endian int32 at the current position, or null. */
  int32(): number | null {
    if (this.at + 4 > this.bytes.length) return null;
    this.at += 4;
    return new DataView(this.bytes.buffer, this.bytes.byteOffset + this.at - 4, 4).getInt32(0, true);
  }

  /** A little-endian int64 at the current position (as a safe integer), or null. */
  int64(): number | null {
    if (this.at + 8 > this.bytes.length) return null;
    const v = new DataView(this.bytes.buffer, this.bytes.byteOffset + this.at, 8).getBigInt64(0, true);
    this.at += 8;
    return v >= 0n && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : null;
  }

  fail(message: string, offset: number): void {
    this.findings.push({ severity: 'high', rule: 'PG007', message, offset });
  }
}

/** The value of a pickle that holds only data (and torch storage types): for the walk, never for the verdict. */
function valueOf(pickle: Uint8Array): { ok: true; value: unknown } | { ok: false } {
  const r = safeLoads(pickle, { policy: torchPolicy() });
  return r.ok ? r : { ok: false };
}

/** Audit the legacy stream format; `data` starts with its magic-number pickle. */
export function auditLegacyStream(data: Uint8Array, options: AuditOptions, policy: string): AuditReport {
  const w = new Walker(data, 0, options, 'legacy torch file');
  const check = (pickle: Uint8Array | null, ok: (v: unknown) => boolean, message: string): boolean => {
    if (pickle === null) return false;
    const v = valueOf(pickle);
    if (v.ok && ok(v.value)) return true;
    w.fail(`legacy torch file: ${message}`, w.at);
    return false;
  };
  walk: {
    if (!check(w.next('magic number'), (v) => v === MAGIC_NUMBER || (typeof v === 'bigint' && v === MAGIC_NUMBER), 'the magic number is wrong')) break walk;
    if (!check(w.next('protocol version'), (v) => v === PROTOCOL_VERSION, `the protocol version is not ${PROTOCOL_VERSION}`)) break walk;
    if (w.next('sys_info') === null) break walk;
    // Storages the object names (torch creates each on first sight), by root key: their item size.
    const storages = new Map<string, TorchStorage>();
    const persistentLoad = (pid: unknown): unknown => {
      if (!(pid instanceof PyTuple)) return bad('a legacy persistent id must be a tuple');
      if (pid[0] === 'module') return pid.length === 4 ? pid[1] : bad("a ('module', …) persistent id must have 4 items");
      if (pid[0] !== 'storage' || pid.length !== 6) return bad("a legacy persistent id must be ('storage', type, key, location, numel, view)");
      const [, type, key, location, numel, view] = pid;
      if (typeof key !== 'string' || typeof location !== 'string') return bad('a storage key and location must be str');
      const root = storages.get(key) ?? standIn(type, key, location, numel);
      storages.set(key, root);
      if (view === null) return root;
      if (!(view instanceof PyTuple) || view.length !== 3 || typeof view[0] !== 'string') return bad('a storage view must be (key, offset, size)');
      return standIn(type, view[0], location, view[2]);
    };
    if (w.next('object', persistentLoad) === null) break walk;
    const keysPickle = w.next('storage keys');
    if (keysPickle === null) break walk;
    const keys = valueOf(keysPickle);
    if (!keys.ok || !Array.isArray(keys.value) || !keys.value.every((k) => typeof k === 'string')) {
      w.fail('legacy torch file: the storage keys are not a list of str', w.at);
      break walk;
    }
    for (const key of keys.value as string[]) {
      const storage = storages.get(key);
      if (storage === undefined) {
        w.fail(`legacy torch file: storage ${JSON.stringify(key)} is listed but the object never names it (torch's load fails)`, w.at);
        break walk;
      }
      const count = w.int64();
      if (count === null || !w.skip(count * storage.itemsize, `the data of storage ${JSON.stringify(key)}`)) break walk;
    }
    if (w.at < data.length) w.findings.push({ severity: 'medium', rule: 'PG007', message: `${data.length - w.at} bytes after the last storage: torch never reads them`, offset: w.at });
  }
  return merge(w.parts, w.findings, data.length, policy);
}

/**
 * Audit the tar format's members: `storages` and `tensors` (pickles between raw data, walked as
 * torch walks them), `pickle` (the object; its persistent ids are storage or tensor keys from the
 * other two, or ('module', …) tuples), and `sys_info` (older torch read it).
 */
export function auditLegacyTar(data: Uint8Array, tar: TarListing, options: AuditOptions, policy: string): AuditReport {
  const parts: AuditReport[] = [];
  const findings: Finding[] = [];
  const keys = new Set<string>();
  const member = (name: string) => {
    const m = tarMember(tar, name);
    if (m === undefined) findings.push({ severity: 'high', rule: 'PG007', message: `legacy torch tar: no member ${JSON.stringify(name)} (torch's load fails)`, offset: 0 });
    return m;
  };
  const sysInfo = tarMember(tar, 'sys_info');
  if (sysInfo !== undefined) parts.push(shift(auditFirst(data.subarray(sysInfo.offset, sysInfo.offset + sysInfo.size), options), sysInfo.offset));

  /** Walk member `name` (pickled headers between raw data) with `body`; its reports and findings are kept. */
  const walkMember = (name: string, body: (w: Walker) => void): void => {
    const m = member(name);
    if (m === undefined) return;
    const w = new Walker(data.subarray(m.offset, m.offset + m.size), m.offset, options, `legacy torch tar, member ${JSON.stringify(name)}`);
    body(w);
    parts.push(...w.parts);
    findings.push(...w.findings);
  };
  walkMember('storages', (w) => {
    const count = countOf(w, w.next('storage count'));
    if (count === null) return;
    for (let i = 0; i < count; i++) {
      const args = w.next(`storage ${i}`);
      const v = args === null ? null : valueOf(args);
      const [key, , type] = v?.ok && v.value instanceof PyTuple && v.value.length === 3 ? v.value : [];
      const info = storageInfo(type);
      if ((typeof key !== 'string' && typeof key !== 'number') || info === undefined) {
        w.fail('legacy torch tar: a storage header is not (key, location, storage type)', w.at);
        return;
      }
      keys.add(String(key));
      const n = w.int64();
      if (n === null || !w.skip(n * info.itemsize, `the data of storage ${JSON.stringify(key)}`)) return;
    }
    const views = w.next('storage views');
    const v = views === null ? null : valueOf(views);
    if (v?.ok && Array.isArray(v.value)) for (const view of v.value) if (view instanceof PyTuple && view[0] !== undefined) keys.add(String(view[0]));
  });
  walkMember('tensors', (w) => {
    const count = countOf(w, w.next('tensor count'));
    if (count === null) return;
    for (let i = 0; i < count; i++) {
      const args = w.next(`tensor ${i}`);
      const v = args === null ? null : valueOf(args);
      if (!(v?.ok && v.value instanceof PyTuple && (typeof v.value[0] === 'string' || typeof v.value[0] === 'number'))) {
        w.fail('legacy torch tar: a tensor header is not (key, storage id, type)', w.at);
        return;
      }
      keys.add(String(v.value[0]));
      const ndim = w.int32();
      if (ndim === null || ndim < 0 || !w.skip(4 + 16 * ndim + 8, 'a tensor header')) return;
    }
  });
  const pickleMember = member('pickle');
  if (pickleMember !== undefined) {
    const persistentLoad = (pid: unknown): unknown => {
      if (pid instanceof PyTuple) return pid[0];
      const key = typeof pid === 'string' || typeof pid === 'number' || typeof pid === 'bigint' ? String(pid) : undefined;
      if (key === undefined || !/^-?\d+$/.test(key.trim())) return bad('a legacy persistent id must be a tuple or an int key');
      const found = keys.has(key.trim().replace(/^(-?)0+(?=\d)/, '$1'));
      return found ? new TorchStorage('uint8', key, 'cpu', 0, NO_DATA) : bad(`persistent id ${key} names no storage or tensor in the checkpoint`);
    };
    const r = auditFirst(data.subarray(pickleMember.offset, pickleMember.offset + pickleMember.size), { ...options, persistentLoad });
    parts.push(shift(r, pickleMember.offset));
  }
  for (const problem of tar.problems) findings.push({ severity: 'high', rule: 'PG007', message: `legacy torch tar: ${problem}`, offset: 0 });
  return merge(parts, findings, data.length, policy);
}

function countOf(w: Walker, pickle: Uint8Array | null): number | null {
  if (pickle === null) return null;
  const v = valueOf(pickle);
  if (v.ok && typeof v.value === 'number' && Number.isSafeInteger(v.value) && v.value >= 0) return v.value;
  w.fail('a count pickle does not hold a non-negative int', w.at);
  return null;
}


/** Legacy torch checkpoints built in tests: the tar format (torch < 0.4), and the raw fields between their pickles. */
import { dumps, PyGlobal, PyOrderedDict, PyTuple } from '../../src/index.js';
import { bytes } from './bytes.js';

/** A ustar archive of `members`, as tarfile writes one (no pax headers: none are needed). */
export function tar(members: [string, Uint8Array][]): Uint8Array {
  const blocks: Uint8Array[] = [];
  for (const [name, data] of members) {
    const h = new Uint8Array(512);
    const put = (at: number, s: string) => h.set(new TextEncoder().encode(s), at);
    put(0, name);
    put(100, '0000644\0');
    put(108, '0000000\0');
    put(116, '0000000\0');
    put(124, `${data.length.toString(8).padStart(11, '0')}\0`);
    put(136, '00000000000\0');
    put(148, '        ');
    put(156, '0');
    put(257, 'ustar\x0000');
    const sum = h.reduce((a, b) => a + b, 0);
    put(148, `${sum.toString(8).padStart(6, '0')}\0 `);
    blocks.push(h, data, new Uint8Array((512 - (data.length % 512)) % 512));
  }
  blocks.push(new Uint8Array(1024));
  return bytes(...blocks);
}

export const p2 = (v: unknown, persistentId?: (v: unknown) => unknown) => dumps(v, { protocol: 2, persistentId: persistentId ?? null });
export const i64 = (...ns: number[]) => new Uint8Array(new BigInt64Array(ns.map(BigInt)).buffer);
export const i32 = (...ns: number[]) => new Uint8Array(new Int32Array(ns).buffer);
export const f32 = (...ns: number[]) => new Uint8Array(new Float32Array(ns).buffer);

export interface LegacyTarEdit {
  numel?: number;
  offset?: number;
  pid?: string;
  tensorType?: PyGlobal;
  storageType?: PyGlobal;
  sysInfo?: unknown;
}

/** The legacy tar format (torch < 0.4): a state dict of a tensor, and a view of a storage shared with it. */
export function legacyTar(edit: LegacyTarEdit = {}): Uint8Array {
  const storageType = edit.storageType ?? new PyGlobal('torch', 'FloatStorage');
  const storages = bytes(p2(1), p2(PyTuple.fromArray([140, 'cpu', storageType])), i64(edit.numel ?? 6), f32(1, 2, 3, 4, 5, 6), p2([PyTuple.fromArray([141, 140, 2, 3])]));
  const FloatTensor = new PyGlobal('torch', 'FloatTensor');
  const tensors = bytes(
    p2(2),
    p2(PyTuple.fromArray([7, 140, edit.tensorType ?? FloatTensor])),
    i32(2, 0),
    i64(2, 3, 3, 1, 0),
    p2(PyTuple.fromArray([8, 141, FloatTensor])),
    i32(1, 0),
    i64(3, 1, edit.offset ?? 0),
  );
  const sd = new PyOrderedDict<string, unknown>([
    ['w', 'T7'],
    ['tail', 'T8'],
  ]);
  const pickle = p2(sd, (v) => (typeof v === 'string' && v.startsWith('T') ? (edit.pid ?? v.slice(1)) : null));
  return tar([
    ['sys_info', p2(edit.sysInfo ?? new Map([['little_endian', true]]))],
    ['pickle', pickle],
    ['tensors', tensors],
    ['storages', storages],
  ]);
}

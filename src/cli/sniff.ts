/**
 * Which files a directory walk reads: those named like pickles and model files, and those whose
 * first bytes look like one (a pickle, or a container or compressed stream a model ships in).
 */
import { constants, inflateRawSync, inflateSync } from 'node:zlib';
import { ARG_KINDS, OPCODE_BY_BYTE, type OpcodeInfo } from '../opcodes.js';

/** How many bytes of a file the sniffing reads. */
export const SNIFF_BYTES = 4096;

const EXTENSIONS = /\.(pkl|pickle|pk|p|pt|pth|bin|ckpt|joblib|npy|npz|sav|dill)$/i;
const COMPRESSED = /\.(pkl|pickle|pt|pth|joblib|npy|sav|dill)\.(gz|z|zlib|bz2|xz|lzma|lz4|zst)$/i;

/** Whether a file name has an extension pickles and model files are saved under. */
export function hasPickleExtension(name: string): boolean {
  return EXTENSIONS.test(name) || COMPRESSED.test(name);
}

const startsWith = (b: Uint8Array, magic: readonly number[], at = 0): boolean => magic.every((m, i) => b[at + i] === m);
const ascii = (s: string): number[] => [...s].map((c) => c.charCodeAt(0));

/** Containers and compressed streams other than gzip and zlib (whose content is looked at). */
const MAGIC: readonly (readonly number[])[] = [
  ascii('PK\x03\x04'), // zip: PyTorch checkpoints, .npz
  ascii('PK\x05\x06'), // an empty zip
  ascii('\x93NUMPY'),
  ascii('BZh'),
  [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00], // xz
  [0x5d, 0x00, 0x00], // lzma "alone" (joblib's lzma)
  [0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c], // 7z
  [0x04, 0x22, 0x4d, 0x18], // lz4 frame
  [0x28, 0xb5, 0x2f, 0xfd], // zstd
];

/**
 * Whether the first bytes `head` of a file of `size` bytes look like a pickle or a model file.
 * `head` is the whole file when it is short.
 */
export function looksLikePickleOrModel(head: Uint8Array, size: number, depth = 0): boolean {
  if (MAGIC.some((m) => startsWith(head, m))) return true;
  if (startsWith(head, ascii('ustar'), 257)) return true;
  const gzip = head[0] === 0x1f && head[1] === 0x8b;
  const zlib = head[0] === 0x78 && (head[1] === 0x01 || head[1] === 0x5e || head[1] === 0x9c || head[1] === 0xda);
  if (gzip || zlib) {
    if (depth > 0) return true;
    const inner = inflateHead(head, gzip);
    // Not inflatable (damaged, or a bomb): read it, and let the audit say what it is.
    // (what was inflated may be a prefix: its size is not known)
    return inner === undefined || looksLikePickleOrModel(inner, Number.MAX_SAFE_INTEGER, depth + 1);
  }
  return looksLikePickle(head, size);
}

/** The start of what a gzip or zlib stream holds, or undefined when it cannot be inflated. */
function inflateHead(head: Uint8Array, gzip: boolean): Uint8Array | undefined {
  // 1 KiB of deflate data inflates to at most about 1 MiB, and to some bytes at all but rarely.
  const options = { finishFlush: constants.Z_SYNC_FLUSH, maxOutputLength: 2 << 20 };
  try {
    if (!gzip) return nonEmpty(inflateSync(head.subarray(0, 1024), options));
    // gzip: skip the header (RFC 1952) and inflate the raw deflate data after it.
    const flags = head[3]!;
    let at = 10;
    if (flags & 4) at += 2 + (head[at]! | (head[at + 1]! << 8));
    for (const bit of [8, 16]) if (flags & bit) while (at < head.length && head[at++] !== 0);
    if (flags & 2) at += 2;
    if (at >= head.length) return undefined;
    return nonEmpty(inflateRawSync(head.subarray(at, at + 1024), options));
  } catch {
    return undefined;
  }
}

const nonEmpty = (b: Uint8Array): Uint8Array | undefined => (b.length > 0 ? b : undefined);

const LINE_ARGS: Partial<Record<keyof typeof ARG_KINDS, RegExp>> = {
  decimalnl_short: /^[-+]?\d+$/,
  decimalnl_long: /^[-+]?\d+L?$/,
  floatnl: /^[-+]?((\d+\.?\d*|\.\d+)([eE][-+]?\d+)?|nan|inf)$/i,
  stringnl: /^(['"]).*\1$/s,
  stringnl_noescape: /^[\x20-\x7e]*$/,
};
const NAME = /^[A-Za-z_][\w.<>]*$/;

/**
 * Whether `head` starts like a pickle: PROTO 2-5, or an opcode of protocol 0 or 1 that can start one,
 * then opcodes with well-formed arguments and a stack (and memo) they can work on, up to a STOP, for
 * 16 opcodes, or for 3 when the file or `head` ends. Text files fail within a few bytes: their
 * characters are no opcodes, or need a stack, or are followed by lines that are no arguments.
 */
export function looksLikePickle(head: Uint8Array, size: number): boolean {
  // PROTO 2-5 is how every pickle of those protocols starts (and loading acts before any error later).
  if (head[0] === 0x80) return head.length > 1 && head[1]! >= 2 && head[1]! <= 5;
  const first = OPCODE_BY_BYTE[head[0] ?? -1];
  if (first === undefined || first.proto > 1) return false;
  const stack: boolean[] = []; // true for a mark
  let memo = 0;
  let at = 0;
  for (let count = 0; count < 16; count++) {
    // (a pickle cut short acts up to where it ends, so three opcodes without a STOP are enough)
    if (at >= head.length) return count >= 3;
    const op = OPCODE_BY_BYTE[head[at]!];
    if (op === undefined) return false;
    const next = argumentEnd(op, head, at + 1, size);
    if (next === 'bad') return false;
    // The file goes on past `head`: enough opcodes, or a long argument (digits, text) so far well-formed.
    if (next === 'more') return count >= 3 || head.length - at >= 1024;
    if (op.name === 'PROTO') return false; // not first: CPython's pickler writes it first
    if ((op.name === 'GET' || op.name === 'BINGET' || op.name === 'LONG_BINGET') && memo === 0) return false;
    if (op.name === 'PUT' || op.name === 'BINPUT' || op.name === 'LONG_BINPUT' || op.name === 'MEMOIZE') {
      if (stack.length === 0 || stack.at(-1)) return false;
      memo++;
    }
    if (!applyStackEffect(op, stack)) return false;
    if (op.name === 'STOP') return true;
    at = next;
  }
  return true;
}

/** Where the argument of `op` at `at` ends; 'more' when it runs past `head` (but not the file), 'bad' when it is not one. */
function argumentEnd(op: OpcodeInfo, head: Uint8Array, at: number, size: number): number | 'bad' | 'more' {
  if (op.arg === null) return at;
  const kind = ARG_KINDS[op.arg];
  const ran = (end: number): number | 'bad' | 'more' => (end > size ? 'bad' : end > head.length ? 'more' : end);
  if (typeof kind.size === 'number') return ran(at + kind.size);
  if (kind.size === 'line' || kind.size === 'line2') {
    let end = at;
    for (let line = 0; line < (kind.size === 'line2' ? 2 : 1); line++) {
      const nl = head.indexOf(0x0a, end);
      const text = new TextDecoder('latin1').decode(head.subarray(end, nl < 0 ? head.length : nl)).replace(/\r$/, '');
      if (nl < 0) return head.length < size && (LINE_ARGS[op.arg]?.test(text) ?? !text.includes('\0')) ? 'more' : 'bad';
      if (kind.size === 'line2' ? !NAME.test(text) : !(LINE_ARGS[op.arg]?.test(text) ?? !text.includes('\0'))) return 'bad';
      end = nl + 1;
    }
    return end;
  }
  const width = kind.size === 'len1' ? 1 : kind.size === 'len4' ? 4 : 8;
  if (at + width > head.length) return ran(at + width);
  let length = 0;
  for (let i = width - 1; i >= 0; i--) length = length * 256 + head[at + i]!;
  if (width === 4 && length >= 2 ** 31 && (op.arg === 'string4' || op.arg === 'long4')) return 'bad';
  return ran(at + width + length);
}

/** Applies what `op` takes from and leaves on the stack; false when the stack does not have it. */
function applyStackEffect(op: OpcodeInfo, stack: boolean[]): boolean {
  if (op.name === 'POP') return stack.pop() !== undefined; // a mark too, when nothing is above it
  const mark = op.before.indexOf('mark');
  const below = mark < 0 ? op.before : op.before.slice(0, mark);
  if (mark >= 0) {
    const above = op.before.slice(mark + 1).filter((k) => k !== 'stackslice').length;
    const top = stack.lastIndexOf(true);
    if (top < 0 || stack.length - top - 1 < above) return false;
    stack.length = top;
  }
  for (let i = 0; i < below.length; i++) {
    if (stack.length === 0 || stack.at(-1)) return false;
    stack.pop();
  }
  for (const k of op.after) stack.push(k === 'mark');
  return true;
}

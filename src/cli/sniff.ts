/**
 * Which files a directory walk reads: those named like pickles and model files, and those whose
 * first bytes look like one (a pickle, or a container or compressed stream a model ships in).
 */
import { constants, inflateRawSync, inflateSync } from 'node:zlib';
import { TruncatedPickleError } from '../errors.js';
import { OPCODE_BY_BYTE, type OpcodeInfo } from '../opcodes.js';
import { OpReader } from '../unpickler/opreader.js';

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
  if (looksLikeKombuEnvelope(head)) return true;
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

/**
 * A kombu/Celery message as brokers store it: a JSON object whose `body` comes first (kombu writes
 * it so) or whose head names the pickle content type. The front door reads the body's pickle.
 */
function looksLikeKombuEnvelope(head: Uint8Array): boolean {
  let i = 0;
  while (i < head.length && (head[i] === 0x20 || head[i] === 0x0a || head[i] === 0x0d || head[i] === 0x09)) i++;
  if (head[i] !== 0x7b) return false;
  const text = new TextDecoder('latin1').decode(head.subarray(i, Math.min(head.length, i + SNIFF_BYTES)));
  return /^\{\s*"body"\s*:/.test(text) || text.includes('application/x-python-serialize');
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

/**
 * Whether `head` starts like a pickle: PROTO 2-5, or an opcode of protocol 0 or 1 that can start one,
 * then opcodes and a stack (and memo) they can work on, up to a STOP, for 16 opcodes, or for 3 when
 * the file or `head` ends. The opcodes and their arguments are read by the loader's own reader
 * (OpReader), so a file is skipped only when loading it would fail within its first opcodes before
 * naming anything; a GLOBAL or INST that reads (CPython resolves, and imports, the name before
 * anything after it can fail) makes it a pickle. Text files fail within a few bytes: their
 * characters are no opcodes, or need a stack, or are followed by lines that are no arguments.
 */
export function looksLikePickle(head: Uint8Array, size: number): boolean {
  // PROTO 2-5 is how every pickle of those protocols starts (and loading acts before any error later).
  if (head[0] === 0x80) return head.length > 1 && head[1]! >= 2 && head[1]! <= 5;
  const first = OPCODE_BY_BYTE[head[0] ?? -1];
  if (first === undefined || first.proto > 1) return false;
  const stack: boolean[] = []; // true for a mark
  let memo = 0;
  let count = 0;
  const r = new OpReader(head, 0);
  try {
    for (; count < 16; count++) {
      if (!r.next()) return true; // its STOP was read
      const op = r.op;
      if (op.name === 'GLOBAL' || op.name === 'INST') return true;
      if (op.name === 'PROTO') return false; // not first: CPython's pickler writes it first
      if ((op.name === 'GET' || op.name === 'BINGET' || op.name === 'LONG_BINGET') && memo === 0) return false;
      if (op.name === 'PUT' || op.name === 'BINPUT' || op.name === 'LONG_BINPUT' || op.name === 'MEMOIZE') {
        if (stack.length === 0 || stack.at(-1)) return false;
        memo++;
      }
      if (!applyStackEffect(op, stack)) return false;
    }
    return true;
  } catch (e) {
    if (!(e instanceof TruncatedPickleError)) return false;
    // `head` ended inside an opcode: a pickle cut short acts up to where it ends, so three opcodes
    // are enough; when the file goes on past `head`, so is a long argument well-formed so far.
    return count >= 3 || (head.length < size && head.length - r.pos >= 1024);
  }
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

/**
 * The front door for files and blobs: `openFile` tells the format from the bytes (never the name)
 * and returns the pickles in it as named parts, each auditable and loadable; `loadFile` returns the
 * file's value as a user means it (a checkpoint's object, a cache entry's value, a Celery message's
 * `(args, kwargs, embed)`, a joblib file's object, an npy's array). Both read through the same walk
 * as `auditFile`, so a format added there is read by every API and CLI command.
 */
import type { Finding } from '../audit/analyze.js';
import { LimitExceededError, MalformedPickleError } from '../errors.js';
import { NdArray, NpDtype } from '../model/ndarray.js';
import type { LoadOptions } from '../unpickler/options.js';
import { base64Pickle, decimalText, djangoFileCacheSplit, readKombuEnvelope } from './backends.js';
import { compressionOf } from './compression.js';
import { NPY_MAGIC, NpyError, readNpyHeader } from './npy-header.js';
import { walkFile, type ContainerOptions, type FilePart, type NamedReport } from './open.js';
import { isTar } from './tar.js';
import { isLegacyStream } from './torch-legacy.js';
import { isZip, listZip, ZipError } from './zip.js';
import { ZipReader } from './zip-read.js';

export type { FilePart, PartKind } from './open.js';

/** What a file is, from its first bytes. */
export type FileFormat =
  | 'pickle'
  | 'zip'
  | 'npy'
  | 'tar'
  | 'torch-legacy'
  | 'gzip'
  | 'zlib'
  | 'bz2'
  | 'xz'
  | 'lzma'
  | 'lz4'
  | 'zstd'
  | '7z'
  | 'django-file-cache'
  | 'kombu-message'
  | 'base64'
  | 'decimal';

export interface OpenOptions extends ContainerOptions {
  /** The file's name, the prefix of its parts' names. Default `<bytes>`. */
  readonly name?: string;
}

export interface OpenedFile {
  readonly name: string;
  readonly format: FileFormat;
  /** Every pickle in the file (and every other reading of the same bytes), in file order. */
  readonly parts: readonly FilePart[];
  /** The containers' own reports: how each was read, and what readers could read differently. */
  readonly containers: readonly NamedReport[];
  /** The containers' findings, with where they are. */
  readonly findings: readonly (Finding & { readonly uri: string })[];
}

/** The format `bytes` is read as, in the order the walk tries them. */
export function fileFormat(bytes: Uint8Array): FileFormat {
  const c = compressionOf(bytes);
  if (c !== null) return c;
  if (isZip(bytes)) return 'zip';
  if (NPY_MAGIC.every((b, i) => bytes[i] === b)) return 'npy';
  if (isTar(bytes)) return 'tar';
  if (isLegacyStream(bytes)) return 'torch-legacy';
  if (djangoFileCacheSplit(bytes) !== null) return 'django-file-cache';
  if (readKombuEnvelope(bytes) !== null) return 'kombu-message';
  if (base64Pickle(bytes) !== null) return 'base64';
  if (decimalText(bytes) !== undefined) return 'decimal';
  return 'pickle';
}

const checkBytes = (bytes: unknown, fn: string): void => {
  if (!(bytes instanceof Uint8Array)) throw new TypeError(`${fn} expects the file's bytes as a Uint8Array`);
};

/** Open `bytes`: its format, its pickles as named parts, and the containers' findings. Nothing is loaded. */
export async function openFile(bytes: Uint8Array, options: OpenOptions = {}): Promise<OpenedFile> {
  checkBytes(bytes, 'openFile');
  const { name = '<bytes>', ...rest } = options;
  const entries = await walkFile(bytes, name, rest);
  const parts = entries.flatMap((e) => (e.part ? [e.part] : []));
  const containers = entries.flatMap((e) => (e.report ? [{ uri: e.uri, report: e.report }] : []));
  const findings = containers.flatMap((c) => c.report.findings.map((f) => ({ ...f, uri: c.uri })));
  return { name, format: fileFormat(bytes), parts, containers, findings };
}

export interface LoadFileOptions extends LoadOptions, Omit<ContainerOptions, keyof LoadOptions | 'onPart'> {
  readonly name?: string;
}

/** The parts that carry a file's value, by kind: the rest (a cache entry's expiry, …) is metadata. */
const VALUE_KINDS = new Set(['django-value', 'kombu-body', 'torch']);

/**
 * Load `bytes` as a user means the file: a PyTorch checkpoint through `loadTorch`, a joblib file
 * through `loadJoblib`, an `.npy` as its `NdArray`, an `.npz` as a Map of name → array, a Django
 * cache entry's value, a kombu/Celery message's body (protocol 2 tasks: `(args, kwargs, embed)`),
 * an RQ job's data, a pickle's first value. Throws the library's errors: a container readers could
 * read differently, or one holding several values none of which is the file's, is malformed.
 */
export async function loadFile(bytes: Uint8Array, options: LoadFileOptions = {}): Promise<unknown> {
  checkBytes(bytes, 'loadFile');
  const { name = '<bytes>', ...rest } = options;
  const format = fileFormat(bytes);
  if (format === 'npy') return loadNpy(bytes, rest);
  if (format === 'decimal') return decimalText(bytes);
  if (format === 'zip' && isNpz(bytes)) return loadNpz(bytes, rest);
  const entries = await walkFile(bytes, name, rest);
  for (const e of entries) {
    const f = e.report?.findings.find((x) => x.severity === 'high' || x.severity === 'critical');
    if (f === undefined) continue;
    if (f.rule === 'PG010') throw new LimitExceededError('maxNesting', rest.maxNesting ?? 4, `${e.uri}: ${f.message}`);
    throw new MalformedPickleError('bad_container', `${e.uri}: ${f.message}`, { offset: f.offset });
  }
  const parts = entries.flatMap((e) => (e.part ? [e.part] : []));
  const values = parts.filter((p) => VALUE_KINDS.has(p.kind));
  if (values.length === 1) return values[0]!.load();
  if (values.length === 0 && parts.length === 1) return parts[0]!.load();
  if (parts.length === 0) {
    const envelope = format === 'kombu-message' ? readKombuEnvelope(bytes) : null;
    if (envelope !== null && /json/.test(envelope.contentType)) return parseJson(envelope.body);
    throw new MalformedPickleError('no_pickle', `${name}: no pickle in this ${format} file`, { offset: 0 });
  }
  throw new MalformedPickleError('ambiguous_file', `${name}: ${parts.length} pickles, none of them the file's value (${parts.map((p) => p.name).join(', ')}); open it with openFile and load the one you mean`, { offset: 0 });
}

function parseJson(body: Uint8Array): unknown {
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(body));
  } catch (e) {
    throw new MalformedPickleError('bad_container', `the message body is not JSON: ${(e as Error).message}`, { offset: 0 });
  }
}

/** An `.npy` file's array: numbers as raw bytes, objects through the pickle that follows the header. */
async function loadNpy(bytes: Uint8Array, options: LoadOptions & ContainerOptions): Promise<unknown> {
  let header;
  try {
    header = readNpyHeader(bytes);
  } catch (e) {
    if (e instanceof NpyError) throw new MalformedPickleError('bad_npy', e.message, { offset: 0 });
    throw e;
  }
  if (header.objects) {
    const entries = await walkFile(bytes, '<npy>', options);
    return entries.find((e) => e.part)!.part!.load();
  }
  const dtype = header.descr.t === 'str' ? NpDtype.fromStr(header.descr.v) : undefined;
  if (dtype === undefined) throw new MalformedPickleError('unsupported_format', 'an .npy array of a structured or unknown dtype: not read by loadFile', { offset: 0 });
  const shape = header.shape.map(Number);
  const count = shape.reduce((a, b) => a * b, 1);
  const size = count * dtype.itemsize;
  if (!Number.isSafeInteger(size) || size > bytes.length - header.dataOffset) {
    throw new MalformedPickleError('bad_npy', `the .npy data is shorter than its shape and dtype say (${shape.join('×')} × ${dtype.itemsize} bytes)`, { offset: header.dataOffset });
  }
  return new NdArray({ dtype, shape, fortranOrder: header.fortranOrder, data: bytes.subarray(header.dataOffset, header.dataOffset + size) });
}

/** Whether a zip is an `.npz`: every member an `.npy`. */
function isNpz(bytes: Uint8Array): boolean {
  try {
    const { members } = listZip(bytes);
    return members.length > 0 && members.every((m) => m.name.endsWith('.npy'));
  } catch (e) {
    if (e instanceof ZipError) return false;
    throw e;
  }
}

/** An `.npz`: name (without `.npy`) → array, as numpy.load's NpzFile maps them. */
async function loadNpz(bytes: Uint8Array, options: LoadOptions & ContainerOptions): Promise<Map<string, unknown>> {
  const entries = await walkFile(bytes, '<npz>', options);
  const own = entries[0]!.report?.findings.find((f) => f.severity === 'high' || f.severity === 'critical');
  if (own !== undefined) throw new MalformedPickleError('bad_container', own.message, { offset: own.offset });
  const { members } = listZip(bytes);
  const out = new Map<string, unknown>();
  const reader = new ZipReader(bytes, { code: 'bad_container', maxMemberBytes: options.maxMemberBytes, zeroCopy: true, zipfile: true });
  for (const m of members) out.set(m.name.slice(0, -4), await loadNpy(await reader.read(m), options));
  return out;
}

/**
 * Auditing what holds pickles, each read as its consumer reads it: zip archives as Python's zipfile
 * (and so torch and numpy) reads them, every other reading of the same bytes audited too and
 * reported; `.npy` files by their header, as numpy parses it (a dtype holding objects means a
 * pickle follows); PyTorch's legacy stream and tar formats, pickle by pickle; gzip and zlib
 * streams opened, other compressions named and refused. Each inner pickle gets its own report,
 * named by its path (`model.pt!archive/data.pkl`); a container's own findings are reported under
 * its name, and a container readers could read differently is `malformed`.
 */
import { audit, type AuditOptions, type AuditReport, type Finding } from '../audit/analyze.js';
import { isJoblibWrapper } from '../audit/joblib.js';
import { compressionOf, decompress, DecompressError, openCompressed } from './compression.js';
import { NPY_MAGIC, NpyError, readNpyHeader } from './npy-header.js';
import { auditFirst, containerReport, merge, shift, verdictOf } from './report.js';
import { isTar, listTar, TarError } from './tar.js';
import { auditStorageLoader, loadTorch } from './torch-load.js';
import { loadJoblib } from './joblib-load.js';
import { base64Pickle, decimalText, djangoFileCacheSplit, PICKLE_CONTENT_TYPE, readKombuEnvelope } from './backends.js';
import { loads } from '../unpickler/unpickler.js';
import type { LoadOptions } from '../unpickler/options.js';
import { auditLegacyStream, auditLegacyTar, isLegacyStream, TORCH_LEGACY_MAGIC } from './torch-legacy.js';
import { isZip, listZip, ZipError, type ZipMember } from './zip.js';

export { decompress };

export interface ContainerOptions extends AuditOptions {
  /** Most bytes one decompressed member or stream may have. Default 1 GiB. */
  maxMemberBytes?: number;
  /** How deep containers may nest (a gzip inside a zip, …). Default 4. */
  maxNesting?: number;
  /** Called with each part's bytes before it is audited: the offsets of the reports named `uri` are in these bytes. */
  onPart?: (uri: string, bytes: Uint8Array) => void;
}

/** What a part is, so it is read as its consumer reads it. */
export type PartKind = 'pickle' | 'joblib' | 'torch' | 'torch-legacy' | 'npy' | 'django-expiry' | 'django-value' | 'kombu-body';

/** One pickle in a file (or one reading of it), named by its path: `model.pt!archive/data.pkl`, `entry.djcache#value`. */
export interface FilePart {
  readonly name: string;
  /** The bytes its reader reads: the offsets of its audit report are in these. */
  readonly bytes: Uint8Array;
  readonly kind: PartKind;
  /** Where its first pickle starts in `bytes` (after an `.npy` header; 0 for most parts). */
  readonly offset: number;
  /** Its audit report, under the options the file was opened with (overridden by `options`). */
  audit(options?: AuditOptions): AuditReport;
  /** Its value as its consumer loads it (torch.load, joblib.load, pickle.load), under the open options overridden by `options`. */
  load(options?: LoadOptions): Promise<unknown>;
}

/** What reading a file yields, in order: a container's own report (its findings), or a part. */
export type Entry = { readonly uri: string; readonly report: AuditReport; readonly part?: undefined } | { readonly uri: string; readonly part: FilePart; readonly report?: undefined };

export interface NamedReport {
  /** `file`, or `file!member` for what a container holds. */
  readonly uri: string;
  readonly report: AuditReport;
}

const startsWith = (b: Uint8Array, magic: readonly number[]) => b.length >= magic.length && magic.every((x, i) => b[i] === x);

/** Whether a zip or tar member should be audited as a pickle: by name, or by looking like one (PROTO 2-5 … STOP). */
function looksLikePickle(name: string, data: Uint8Array): boolean {
  if (/\.(pkl|pickle|p)$/i.test(name)) return true;
  return data.length >= 3 && data[0] === 0x80 && data[1]! >= 2 && data[1]! <= 5 && data[data.length - 1] === 0x2e;
}

/**
 * Whether what a member named `name` holds is a container auditFile opens. zlib's two-byte header
 * is taken only from a name that says so: raw tensor data starts with it often enough.
 */
function isContainer(name: string, b: Uint8Array): boolean {
  const compression = compressionOf(b);
  if (compression === 'zlib' && !/\.(z|zlib)$/i.test(name)) return false;
  return startsWith(b, NPY_MAGIC) || isZip(b) || compression !== null || startsWith(b, TORCH_LEGACY_MAGIC);
}

/** The member torch.load unpickles: `<archive>/data.pkl`. */
const TORCH_PICKLE = /^(?:([^/]+)\/)?data\.pkl$/;

/**
 * Audit `data` (named `options.name`, default `<bytes>`), opening containers. Returns one report per
 * pickle-bearing part: the file itself for a plain pickle, and `name!member` for what a container
 * holds (a container's own findings, such as zip inconsistencies, are reported under the name).
 * Arguments of the wrong type are a TypeError thrown at the call.
 */
export function auditFile(data: Uint8Array, options?: ContainerOptions & { readonly name?: string }): Promise<NamedReport[]>;
/** The older form, the name second: `auditFile(bytes, 'model.pt', { policy })`. */
export function auditFile(data: Uint8Array, uri: string, options?: ContainerOptions, depth?: number): Promise<NamedReport[]>;
export function auditFile(data: Uint8Array, second?: string | (ContainerOptions & { readonly name?: string }), third?: ContainerOptions, depth = 0): Promise<NamedReport[]> {
  const kind = (x: unknown) => (x === null ? 'null' : Array.isArray(x) ? 'an array' : typeof x);
  if (!(data instanceof Uint8Array)) throw new TypeError(`auditFile expects the file's bytes as a Uint8Array, got ${kind(data)}`);
  const named = typeof second === 'string';
  if (!named && second !== undefined && (typeof second !== 'object' || second === null || Array.isArray(second))) {
    throw new TypeError(`auditFile(bytes, options): options must be an object ({ name, policy, … }), got ${kind(second)}`);
  }
  if (!named && third !== undefined) throw new TypeError('auditFile(bytes, options) takes the name inside the options ({ name, policy, … }), not a third argument');
  const options = (named ? third : second) ?? {};
  if (typeof options !== 'object' || options === null) throw new TypeError(`auditFile(bytes, name, options): options must be an object, got ${kind(options)}`);
  const uri = named ? second : ((options as { name?: unknown }).name ?? '<bytes>');
  if (typeof uri !== 'string') throw new TypeError(`auditFile: the name must be a string, got ${kind(uri)}`);
  if (options.policy !== undefined && typeof (options.policy as { resolve?: unknown } | null)?.resolve !== 'function') {
    throw new TypeError(`auditFile: options.policy must be a policy (createPolicy, DEFAULT_POLICY, …), got ${kind(options.policy)}`);
  }
  return walkFile(data, uri, options, depth).then((entries) => entries.map((e) => (e.part ? { uri: e.uri, report: e.part.audit() } : e)));
}

/** A part read by `reader` (the audit) and `loader` under the walk's options, each overridable per call. */
function part(name: string, bytes: Uint8Array, kind: PartKind, options: ContainerOptions, reader: (o: AuditOptions) => AuditReport, loader: (o: LoadOptions & ContainerOptions) => Promise<unknown> | unknown, offset = 0): Entry {
  const p: FilePart = {
    name,
    bytes,
    kind,
    offset,
    audit: (o) => reader({ ...options, ...o }),
    load: async (o) => loader({ ...options, ...o }),
  };
  return { uri: name, part: p };
}

/** A plain pickle part: audited as pickle.load (or joblib.load, for a joblib file) reads it. */
function picklePart(name: string, bytes: Uint8Array, options: ContainerOptions, kind: PartKind = 'pickle'): Entry {
  const joblib = kind === 'pickle' && mentionsJoblib(bytes);
  return part(name, bytes, joblib ? 'joblib' : kind, options, (o) => auditPickle(bytes, o), (o) => (joblib ? loadJoblib(bytes, o) : loads(bytes, o)));
}

const JOBLIB_WRAPPER = new TextEncoder().encode('NumpyArrayWrapper');

/** Whether the bytes name joblib's array wrapper (what makes joblib.load read raw array bytes after its BUILD). */
function mentionsJoblib(b: Uint8Array): boolean {
  const first = JOBLIB_WRAPPER[0]!;
  for (let i = b.indexOf(first); i >= 0 && i + JOBLIB_WRAPPER.length <= b.length; i = b.indexOf(first, i + 1)) {
    if (JOBLIB_WRAPPER.every((x, k) => b[i + k] === x)) return true;
  }
  return false;
}

/** Every part of `data` and the containers' own reports, in the order auditFile reports them. */
export async function walkFile(data: Uint8Array, uri: string, options: ContainerOptions, depth = 0): Promise<Entry[]> {
  const policy = options.policy?.name ?? 'default';
  const limit = options.maxMemberBytes ?? 1024 ** 3;
  options.onPart?.(uri, data);
  const own = (findings: Finding[], verdict = verdictOf(findings)): Entry => ({ uri, report: containerReport(findings, data.length, policy, verdict) });
  const fail = (message: string, offset = 0): Entry[] => [own([{ severity: 'high', rule: 'PG007', message, offset }])];
  if (depth > (options.maxNesting ?? 4)) {
    return [own([{ severity: 'high', rule: 'PG010', message: 'containers nested too deeply (maxNesting)', offset: 0 }])];
  }

  const compression = compressionOf(data);
  if (compression === 'gzip' || compression === 'zlib') {
    let opened;
    try {
      opened = await openCompressed(data, compression, limit);
    } catch (e) {
      if (e instanceof DecompressError) return fail(`a ${compression} stream that cannot be opened: ${e.message}`);
      throw e;
    }
    const inner = await walkFile(opened.body, `${uri}!${compression}`, options, depth + 1);
    if (!opened.trailing) return inner;
    return [own([{ severity: 'high', rule: 'PG007', message: `bytes follow the ${compression} stream: readers disagree on whether they belong to it`, offset: 0 }]), ...inner];
  }
  if (compression !== null) {
    return fail(`a ${compression} stream: it cannot be opened here, so what it holds (often a pickle) cannot be audited`);
  }
  if (isZip(data)) return auditZip(data, uri, options, depth);
  if (startsWith(data, NPY_MAGIC)) {
    let header;
    try {
      header = readNpyHeader(data);
    } catch (e) {
      if (e instanceof NpyError) return fail(e.message);
      throw e;
    }
    if (!header.objects) return [own([{ severity: 'info', rule: 'PG011', message: 'a numpy array without objects: no pickle in it', offset: 0 }])];
    // numpy.load(allow_pickle=True) makes one pickle.load call after the header.
    const body = data.subarray(header.dataOffset);
    return [part(uri, data, 'npy', options, (o) => shift(auditFirst(body, o), header.dataOffset), (o) => loads(body, o), header.dataOffset)];
  }
  if (isTar(data)) return auditTar(data, uri, options, depth);
  if (isLegacyStream(data)) return [part(uri, data, 'torch-legacy', options, (o) => auditLegacyStream(data, o, o.policy?.name ?? 'default'), (o) => loadTorch(data, o))];
  const backend = await walkBackend(data, uri, options, depth);
  if (backend !== null) return backend;
  return [picklePart(uri, data, options)];
}

/**
 * The backends' formats: a Django file cache entry, a kombu envelope, base64 of a pickle, decimal
 * text. Null when `data` is none of them (it is then read as a pickle).
 */
async function walkBackend(data: Uint8Array, uri: string, options: ContainerOptions, depth: number): Promise<Entry[] | null> {
  const policy = options.policy?.name ?? 'default';
  const limit = options.maxMemberBytes ?? 1024 ** 3;
  const own = (findings: Finding[]): Entry => ({ uri, report: containerReport(findings, data.length, policy) });
  const info = (message: string): Finding => ({ severity: 'info', rule: 'PG011', message, offset: 0 });
  const bad = (message: string, offset = 0): Finding => ({ severity: 'high', rule: 'PG007', message, offset });
  const split = djangoFileCacheSplit(data);
  if (split !== null) {
    // Django's FileBasedCache: pickle.load(f) reads the expiry, then pickle.loads(zlib.decompress(f.read())) the value.
    const expiry = data.subarray(0, split);
    const findings = [info('a Django file-based cache entry: an expiry pickle, then the value pickle compressed with zlib')];
    const out: Entry[] = [];
    options.onPart?.(`${uri}#expiry`, expiry);
    out.push(part(`${uri}#expiry`, expiry, 'django-expiry', options, (o) => auditFirst(expiry, o), (o) => loads(expiry, o)));
    try {
      const opened = await openCompressed(data.subarray(split), 'zlib', limit);
      if (opened.trailing) findings.push(bad('bytes follow the value\'s zlib stream: readers disagree on whether they belong to it', split));
      options.onPart?.(`${uri}#value`, opened.body);
      out.push(picklePart(`${uri}#value`, opened.body, options, 'django-value'));
    } catch (e) {
      if (!(e instanceof DecompressError)) throw e;
      findings.push(bad(`the value after the expiry pickle cannot be inflated: ${e.message}`, split));
      // What is there is still read as the pickle stream it could be.
      options.onPart?.(`${uri} (read as a pickle)`, data);
      out.push(picklePart(`${uri} (read as a pickle)`, data, options));
    }
    return [own(findings), ...out];
  }
  const envelope = readKombuEnvelope(data);
  if (envelope !== null) {
    const findings = [info(`a kombu message envelope (${envelope.contentType}${envelope.compression ? `, ${envelope.compression}-compressed` : ''})`)];
    for (const p of envelope.problems) findings.push(bad(p));
    if (envelope.problems.length > 0) return [own(findings)];
    let body = envelope.body;
    if (envelope.compression !== null) {
      if (envelope.compression !== 'zlib') return [own([...findings, bad(`the body is compressed with ${envelope.compression}, which cannot be opened here: what it holds cannot be audited`)])];
      try {
        const opened = await openCompressed(body, 'zlib', limit);
        if (opened.trailing) findings.push(bad('bytes follow the body\'s zlib stream'));
        body = opened.body;
      } catch (e) {
        if (!(e instanceof DecompressError)) throw e;
        return [own([...findings, bad(`the body cannot be inflated: ${e.message}`)])];
      }
    }
    if (envelope.contentType !== PICKLE_CONTENT_TYPE) {
      // A consumer that accepts pickle would still unpickle a pickle sent under another name only if told so: say what the body is.
      findings.push(info(`the body is ${envelope.contentType}, not a pickle`));
      return [own(findings)];
    }
    options.onPart?.(`${uri}#body`, body);
    return [own(findings), picklePart(`${uri}#body`, body, options, 'kombu-body')];
  }
  const decoded = base64Pickle(data);
  if (decoded !== null) {
    options.onPart?.(`${uri}!base64`, decoded);
    return [own([info('base64 text of a pickle (as RQ stores results)')]), ...(await walkFile(decoded, `${uri}!base64`, options, depth + 1))];
  }
  if (decimalText(data) !== undefined) return [own([info('decimal text: an int as django-redis stores it, no pickle')])];
  return null;
}

/** A zip archive: zipfile's members and every other reading's, each pickle audited as its reader reads it. */
async function auditZip(data: Uint8Array, uri: string, options: ContainerOptions, depth: number): Promise<Entry[]> {
  const policy = options.policy?.name ?? 'default';
  const limit = options.maxMemberBytes ?? 1024 ** 3;
  let listing;
  try {
    listing = listZip(data);
  } catch (e) {
    if (e instanceof ZipError) return [{ uri, report: containerReport([{ severity: 'high', rule: 'PG007', message: e.message, offset: 0 }], data.length, policy) }];
    throw e;
  }
  const out: Entry[] = [];
  const findings = [...listing.findings];
  // Storage sizes per reading (zipfile's, or another's): what each data.pkl's persistent ids are checked against.
  const readingOf = (m: ZipMember) => m.via ?? (m.hidden ? 'hidden' : '');
  const storages = new Map<string, Map<string, number>>();
  const checkpoints = new Set<string>();
  for (const m of listing.members) {
    const where = readingOf(m);
    const torch = TORCH_PICKLE.exec(m.name);
    if (torch !== null) checkpoints.add(`${where}\n${torch[1] ?? ''}`);
    const match = /^(?:([^/]+)\/)?data\/(.+)$/.exec(m.name);
    if (match === null) continue;
    const key = `${where}\n${match[1] ?? ''}`;
    if (!storages.has(key)) storages.set(key, new Map());
    storages.get(key)!.set(match[2]!, m.size);
  }
  let scanned = 0;
  for (const m of listing.members) {
    if (m.encrypted || (m.method !== 0 && m.method !== 8) || m.compressedSize === 0) continue;
    // A checkpoint's storages are raw bytes torch never unpickles.
    const storage = /^(?:([^/]+)\/)?data\/[^/]+$/.exec(m.name);
    if (storage !== null && !m.name.endsWith('.pkl') && checkpoints.has(`${readingOf(m)}\n${storage[1] ?? ''}`)) continue;
    let body = data.subarray(m.dataOffset, m.dataOffset + m.compressedSize);
    if (m.method === 8) {
      try {
        // zipfile inflates to the stream's end whatever the directory claims: so does this (with its limit).
        body = await decompress(body, 'deflate-raw', limit);
        if (body.length !== m.size) findings.push({ severity: 'high', rule: 'PG007', message: `member ${JSON.stringify(m.name)} inflates to ${body.length} bytes, its directory entry says ${m.size}`, offset: m.dataOffset });
      } catch (e) {
        if (!(e instanceof DecompressError)) throw e;
        findings.push({ severity: 'high', rule: 'PG007', message: `member ${JSON.stringify(m.name)} cannot be inflated: ${e.message}`, offset: m.dataOffset });
        continue;
      }
    }
    const inner = `${uri}!${m.name}${m.hidden ? ' (hidden)' : m.via ? ` (${m.via})` : ''}`;
    options.onPart?.(inner, body);
    const torch = TORCH_PICKLE.exec(m.name);
    if (torch !== null) {
      // torch.load: one Unpickler.load() of data.pkl, persistent ids resolved against data/<key>.
      const sizes = storages.get(`${readingOf(m)}\n${torch[1] ?? ''}`) ?? new Map<string, number>();
      scanned++;
      out.push(part(inner, body, 'torch', options, (o) => auditFirst(body, { ...o, persistentLoad: auditStorageLoader(sizes) }), (o) => loadTorch(data, o)));
    } else if (isContainer(m.name, body)) {
      const nested = await walkFile(body, inner, options, depth + 1);
      scanned += nested.length;
      out.push(...nested.filter((r) => r.part !== undefined || r.report.pickles.length > 0 || r.report.findings.some((f) => f.severity !== 'info')));
    } else if (looksLikePickle(m.name, body)) {
      scanned++;
      out.push(picklePart(inner, body, options));
    }
  }
  if (scanned === 0) findings.push({ severity: 'info', rule: 'PG011', message: 'no pickle in this archive', offset: 0 });
  return [{ uri, report: containerReport(findings, data.length, policy) }, ...out];
}

/** A tar archive: a legacy torch checkpoint, or pickles in members. Bytes that are both a tar and a pickle are malformed. */
async function auditTar(data: Uint8Array, uri: string, options: ContainerOptions, depth: number): Promise<Entry[]> {
  const policy = options.policy?.name ?? 'default';
  const findings: Finding[] = [];
  const out: Entry[] = [];
  // torch.load tries the tar reading only for real files at offset 0, else reads the same bytes as a pickle stream.
  const legacy = isLegacyStream(data);
  const readAsPickle = (o: AuditOptions) => (legacy ? auditLegacyStream(data, o, o.policy?.name ?? 'default') : auditFirst(data, o));
  if (readAsPickle(options).verdict !== 'malformed') {
    findings.push({ severity: 'high', rule: 'PG007', message: 'the file is both a tar archive and a pickle: tarfile and pickle.load read different things from it', offset: 0 });
    options.onPart?.(`${uri} (read as a pickle)`, data);
    out.push(part(`${uri} (read as a pickle)`, data, legacy ? 'torch-legacy' : 'pickle', options, readAsPickle, (o) => (legacy ? loadTorch(data, o) : loads(data, o))));
  }
  let tar;
  try {
    tar = listTar(data);
  } catch (e) {
    if (!(e instanceof TarError)) throw e;
    findings.push({ severity: 'high', rule: 'PG007', message: `tarfile cannot read this archive: ${e.message}`, offset: 0 });
    return [{ uri, report: containerReport(findings, data.length, policy) }, ...out];
  }
  const names = new Set(tar.members.map((m) => m.name));
  if (names.has('pickle') || names.has('storages') || names.has('tensors')) {
    // The tar checkpoint's pickles are one part, reported under the file's name with the tar's own findings.
    const legacyTar = part(uri, data, 'torch-legacy', options, (o) => merge([auditLegacyTar(data, tar, o, o.policy?.name ?? 'default')], findings, data.length, o.policy?.name ?? 'default'), (o) => loadTorch(data, o));
    return [legacyTar, ...out];
  }
  for (const problem of tar.problems) findings.push({ severity: 'high', rule: 'PG007', message: problem, offset: 0 });
  for (const m of tar.members) {
    if (m.type !== '0' && m.type !== '7') continue;
    const body = data.subarray(m.offset, m.offset + m.size);
    const inner = `${uri}!${m.name}`;
    if (isContainer(m.name, body)) out.push(...(await walkFile(body, inner, options, depth + 1)));
    else if (looksLikePickle(m.name, body)) {
      options.onPart?.(inner, body);
      out.push(picklePart(inner, body, options));
    }
  }
  return [{ uri, report: containerReport(findings, data.length, policy) }, ...out];
}

/** Whether `module` and `qualname` are dotted Python identifiers, the only names pickle's find_class can import. */
const IDENTIFIERS = /^[\p{ID_Start}_]\p{ID_Continue}*(?:\.[\p{ID_Start}_]\p{ID_Continue}*)*$/u;
const importable = (module: string, qualname: string): boolean => IDENTIFIERS.test(module) && IDENTIFIERS.test(qualname);

/** Rules that name a global: what a second reading of a joblib file contributes. */
const NAME_RULES = new Set(['PG001', 'PG002', 'PG005']);

/**
 * Audit a pickle, or a joblib file (which references a joblib array wrapper): that one is audited
 * as `joblib.load` reads it, skipping raw array data. The names found by reading the same bytes as
 * `pickle.load` would are kept too, so a payload hidden in "array data" is still reported.
 */
function auditPickle(data: Uint8Array, options: AuditOptions): AuditReport {
  const plain = audit(data, options);
  if (!plain.globals.some((g) => isJoblibWrapper(g.module, g.qualname))) return plain;
  // joblib.load reads one pickle (its arrays inside it); a plain pickle.load reading lists the rest.
  const joblib = audit(data, { ...options, joblib: true, firstOnly: true });
  const key = (f: Finding) => `${f.rule} ${f.name ?? ''}`;
  const seen = new Set(joblib.findings.map(key));
  // Raw array bytes read as opcodes often spell a "name" no module can have (" u."): pickle.load
  // would fail to import it, so it is noted, not a reason to call the file unsafe.
  const unimportable = new Set(plain.globals.filter((g) => !importable(g.module, g.qualname)).map((g) => g.offset));
  const extra = plain.findings
    .filter((f) => NAME_RULES.has(f.rule) && !seen.has(key(f)))
    .map((f): Finding =>
      unimportable.has(f.offset)
        ? { ...f, severity: 'low', message: `${f.message} (read as pickle.load reads it, which would fail: no module or attribute can have that name)` }
        : { ...f, message: `${f.message} (read as pickle.load reads it, not as joblib.load does)` },
    );
  const findings: Finding[] = [
    { severity: 'info', rule: 'PG011', message: 'a joblib file: audited as joblib.load reads it, skipping raw numpy array data', offset: 0 },
    ...joblib.findings,
    ...extra,
  ];
  // The verdict is joblib.load's outcome, made unsafe when the other reading names what the policy refuses.
  const verdict = joblib.verdict === 'safe' && extra.some((f) => f.severity !== 'info' && f.severity !== 'low') ? 'unsafe' : joblib.verdict;
  // Both readings were audited: the pickles pickle.load would read are listed too.
  const pickles = [...joblib.pickles, ...plain.pickles.filter((p) => !joblib.pickles.some((q) => q.start === p.start && q.end === p.end))].sort((a, b) => a.start - b.start);
  return { ...joblib, pickles, findings, verdict };
}

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
import { auditStorageLoader } from './torch-load.js';
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
  return auditParts(data, uri, options, depth);
}

async function auditParts(data: Uint8Array, uri: string, options: ContainerOptions, depth: number): Promise<NamedReport[]> {
  const policy = options.policy?.name ?? 'default';
  const limit = options.maxMemberBytes ?? 1024 ** 3;
  options.onPart?.(uri, data);
  const own = (findings: Finding[], verdict = verdictOf(findings)): NamedReport => ({ uri, report: containerReport(findings, data.length, policy, verdict) });
  const fail = (message: string, offset = 0): NamedReport[] => [own([{ severity: 'high', rule: 'PG007', message, offset }])];
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
    const inner = await auditFile(opened.body, `${uri}!${compression}`, options, depth + 1);
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
    return [{ uri, report: shift(auditFirst(data.subarray(header.dataOffset), options), header.dataOffset) }];
  }
  if (isTar(data)) return auditTar(data, uri, options, depth);
  if (isLegacyStream(data)) return [{ uri, report: auditLegacyStream(data, options, policy) }];
  return [{ uri, report: auditPickle(data, options) }];
}

/** A zip archive: zipfile's members and every other reading's, each pickle audited as its reader reads it. */
async function auditZip(data: Uint8Array, uri: string, options: ContainerOptions, depth: number): Promise<NamedReport[]> {
  const policy = options.policy?.name ?? 'default';
  const limit = options.maxMemberBytes ?? 1024 ** 3;
  let listing;
  try {
    listing = listZip(data);
  } catch (e) {
    if (e instanceof ZipError) return [{ uri, report: containerReport([{ severity: 'high', rule: 'PG007', message: e.message, offset: 0 }], data.length, policy) }];
    throw e;
  }
  const out: NamedReport[] = [];
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
      out.push({ uri: inner, report: auditFirst(body, { ...options, persistentLoad: auditStorageLoader(sizes) }) });
    } else if (isContainer(m.name, body)) {
      const nested = await auditFile(body, inner, options, depth + 1);
      scanned += nested.length;
      out.push(...nested.filter((r) => r.report.pickles.length > 0 || r.report.findings.some((f) => f.severity !== 'info')));
    } else if (looksLikePickle(m.name, body)) {
      scanned++;
      out.push({ uri: inner, report: auditPickle(body, options) });
    }
  }
  if (scanned === 0) findings.push({ severity: 'info', rule: 'PG011', message: 'no pickle in this archive', offset: 0 });
  return [{ uri, report: containerReport(findings, data.length, policy) }, ...out];
}

/** A tar archive: a legacy torch checkpoint, or pickles in members. Bytes that are both a tar and a pickle are malformed. */
async function auditTar(data: Uint8Array, uri: string, options: ContainerOptions, depth: number): Promise<NamedReport[]> {
  const policy = options.policy?.name ?? 'default';
  const findings: Finding[] = [];
  const out: NamedReport[] = [];
  // torch.load tries the tar reading only for real files at offset 0, else reads the same bytes as a pickle stream.
  const asPickle = isLegacyStream(data) ? auditLegacyStream(data, options, policy) : auditFirst(data, options);
  if (asPickle.verdict !== 'malformed') {
    findings.push({ severity: 'high', rule: 'PG007', message: 'the file is both a tar archive and a pickle: tarfile and pickle.load read different things from it', offset: 0 });
    options.onPart?.(`${uri} (read as a pickle)`, data);
    out.push({ uri: `${uri} (read as a pickle)`, report: asPickle });
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
    return [{ uri, report: merge([auditLegacyTar(data, tar, options, policy)], findings, data.length, policy) }, ...out];
  }
  for (const problem of tar.problems) findings.push({ severity: 'high', rule: 'PG007', message: problem, offset: 0 });
  for (const m of tar.members) {
    if (m.type !== '0' && m.type !== '7') continue;
    const body = data.subarray(m.offset, m.offset + m.size);
    const inner = `${uri}!${m.name}`;
    if (isContainer(m.name, body)) out.push(...(await auditFile(body, inner, options, depth + 1)));
    else if (looksLikePickle(m.name, body)) {
      options.onPart?.(inner, body);
      out.push({ uri: inner, report: auditPickle(body, options) });
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

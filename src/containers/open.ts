/**
 * Auditing what holds pickles: PyTorch zip checkpoints (every pickle member), numpy `.npy` object
 * arrays and `.npz` archives, gzip- and zlib-wrapped pickles, and the legacy PyTorch format (a few
 * pickles, then raw storage bytes). Each inner pickle gets its own report, named by its path
 * (`model.pt!archive/data.pkl`). Decompression uses the platform's DecompressionStream (Node 18+,
 * browsers), stopped at `maxMemberBytes` so a bomb cannot exhaust memory.
 */
import { audit, type AuditOptions, type AuditReport, type Finding } from '../audit/analyze.js';
import { isJoblibWrapper } from '../audit/joblib.js';
import { isZip, listZip, ZipError } from './zip.js';

export interface ContainerOptions extends AuditOptions {
  /** Most bytes one decompressed member or stream may have. Default 1 GiB. */
  maxMemberBytes?: number;
  /** How deep containers may nest (a gzip inside a zip, …). Default 4. */
  maxNesting?: number;
}

export interface NamedReport {
  /** `file`, or `file!member` for what a container holds. */
  readonly uri: string;
  readonly report: AuditReport;
}

const GZIP = [0x1f, 0x8b];
const NPY = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59];
/** The pickle PyTorch's legacy format starts with: the magic number 0x1950a86a20f9469cfc6c as LONG1. */
const TORCH_LEGACY = [0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19];

const startsWith = (b: Uint8Array, magic: readonly number[]) => b.length >= magic.length && magic.every((x, i) => b[i] === x);

/** A zlib stream with the usual 32 KiB window (0x78 is no pickle opcode, so no pickle starts so). */
function isZlib(b: Uint8Array): boolean {
  return b.length >= 2 && b[0] === 0x78 && ((b[0] << 8) | b[1]!) % 31 === 0;
}

function report(findings: Finding[], bytes: number, policy: string, verdict: AuditReport['verdict']): AuditReport {
  return { verdict, policy, bytes, pickles: [], globals: [], calls: [], findings };
}

/** Inflate with the platform's DecompressionStream, refusing output beyond `limit` bytes. */
export async function decompress(data: Uint8Array, format: 'gzip' | 'deflate' | 'deflate-raw', limit: number): Promise<Uint8Array> {
  const ds = new DecompressionStream(format);
  const writer = ds.writable.getWriter();
  // Written without waiting: the reader below drains the output, so backpressure cannot deadlock.
  writer.write(data as Uint8Array<ArrayBuffer>).then(
    () => writer.close(),
    () => undefined,
  ).catch(() => undefined);
  const reader = ds.readable.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.length;
    if (total > limit) {
      await reader.cancel();
      throw new RangeError(`decompresses to more than ${limit} bytes (maxMemberBytes)`);
    }
    chunks.push(value);
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/** Whether a zip member should be audited as a pickle: by name, or by looking like one (PROTO 2-5 … STOP). */
function looksLikePickle(name: string, data: Uint8Array): boolean {
  if (/\.(pkl|pickle|p)$/i.test(name)) return true;
  return data.length >= 3 && data[0] === 0x80 && data[1]! >= 2 && data[1]! <= 5 && data[data.length - 1] === 0x2e;
}

/** The pickle inside a `.npy` file holding objects, or null when its dtype is not `O`. */
function npyPickle(data: Uint8Array): { start: number } | { error: string } | null {
  if (data.length < 10) return { error: 'a .npy header cut short' };
  const major = data[6]!;
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const headerLen = major === 1 ? view.getUint16(8, true) : data.length >= 12 ? view.getUint32(8, true) : -1;
  const headerStart = major === 1 ? 10 : 12;
  if (headerLen < 0 || headerStart + headerLen > data.length) return { error: 'a .npy header runs past the end' };
  const header = new TextDecoder('latin1').decode(data.subarray(headerStart, headerStart + headerLen));
  if (!/'descr'\s*:\s*'\|O'/.test(header)) return null;
  return { start: headerStart + headerLen };
}

/**
 * Audit `data` (named `uri`), opening containers. Returns one report per pickle-bearing part: the
 * file itself for a plain pickle, and `uri!member` for what a container holds (a container's own
 * findings, such as zip inconsistencies, are reported under `uri`).
 */
export async function auditFile(data: Uint8Array, uri: string, options: ContainerOptions = {}, depth = 0): Promise<NamedReport[]> {
  const policy = options.policy?.name ?? 'default';
  const limit = options.maxMemberBytes ?? 1024 ** 3;
  if (depth > (options.maxNesting ?? 4)) {
    return [{ uri, report: report([{ severity: 'high', rule: 'PG010', message: 'containers nested too deeply (maxNesting)', offset: 0 }], data.length, policy, 'malformed') }];
  }
  const fail = (message: string, offset = 0): NamedReport[] => [
    { uri, report: report([{ severity: 'medium', rule: 'PG007', message, offset }], data.length, policy, 'malformed') },
  ];

  if (isZip(data)) {
    let listing;
    try {
      listing = listZip(data);
    } catch (e) {
      if (e instanceof ZipError) return fail(e.message);
      throw e;
    }
    const out: NamedReport[] = [];
    const own = [...listing.findings];
    let scanned = 0;
    for (const m of listing.members) {
      if (m.encrypted || (m.method !== 0 && m.method !== 8) || m.name.endsWith('/')) continue;
      let body = data.subarray(m.dataOffset, m.dataOffset + m.compressedSize);
      if (m.method === 8) {
        try {
          body = await decompress(body, 'deflate-raw', Math.min(limit, Math.max(m.size, 0) || limit));
        } catch (e) {
          own.push({ severity: 'high', rule: 'PG007', message: `member ${JSON.stringify(m.name)} cannot be inflated: ${(e as Error).message}`, offset: m.dataOffset });
          continue;
        }
      }
      const inner = `${uri}!${m.name}${m.hidden ? ' (hidden)' : ''}`;
      if (looksLikePickle(m.name, body)) {
        scanned++;
        out.push({ uri: inner, report: auditPickle(body, options) });
      } else if (startsWith(body, NPY) || isZip(body) || startsWith(body, GZIP)) {
        const nested = await auditFile(body, inner, options, depth + 1);
        scanned += nested.length;
        out.push(...nested.filter((r) => r.report.pickles.length > 0 || r.report.findings.length > 0));
      }
    }
    if (scanned === 0) own.push({ severity: 'info', rule: 'PG011', message: 'no pickle in this archive', offset: 0 });
    const verdict = own.some((f) => f.severity === 'high' || f.severity === 'critical') ? 'unsafe' : 'safe';
    return [{ uri, report: report(own, data.length, policy, verdict) }, ...out];
  }

  if (startsWith(data, GZIP) || isZlib(data)) {
    let body: Uint8Array;
    try {
      body = await decompress(data, startsWith(data, GZIP) ? 'gzip' : 'deflate', limit);
    } catch (e) {
      return fail(`cannot decompress: ${(e as Error).message}`);
    }
    return auditFile(body, `${uri}!${startsWith(data, GZIP) ? 'gzip' : 'zlib'}`, options, depth + 1);
  }

  if (startsWith(data, NPY)) {
    const found = npyPickle(data);
    if (found === null) return [{ uri, report: report([{ severity: 'info', rule: 'PG011', message: 'a numpy array without objects: no pickle in it', offset: 0 }], data.length, policy, 'safe') }];
    if ('error' in found) return fail(found.error);
    // The pickle runs to its STOP; an object array holds nothing after it.
    return [{ uri, report: shift(audit(data.subarray(found.start), options), found.start) }];
  }

  if (startsWith(data, TORCH_LEGACY)) {
    // Legacy torch.save: magic, protocol version, sys info, the object, storage keys; then raw storage bytes.
    const r = audit(data, { ...options, maxPickles: 5 });
    // The storage bytes after the fifth pickle are not pickles: drop the "more pickles" finding it caused.
    const findings = r.findings.filter((f) => !(f.rule === 'PG010' && f.message.includes('pickles in one input')));
    const verdict = findings.some((f) => f.rule === 'PG007' || f.rule === 'PG010')
      ? 'malformed'
      : findings.some((f) => f.severity !== 'info' && f.severity !== 'low')
        ? 'unsafe'
        : 'safe';
    return [{ uri, report: { ...r, findings, verdict } }];
  }

  return [{ uri, report: auditPickle(data, options) }];
}

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
  const extra = plain.findings
    .filter((f) => NAME_RULES.has(f.rule) && !seen.has(key(f)))
    .map((f) => ({ ...f, message: `${f.message} (read as pickle.load reads it, not as joblib.load does)` }));
  const findings: Finding[] = [
    { severity: 'info', rule: 'PG011', message: 'a joblib file: audited as joblib.load reads it, skipping raw numpy array data', offset: 0 },
    ...joblib.findings,
    ...extra,
  ];
  // The verdict is joblib.load's outcome, made unsafe when the other reading names what the policy refuses.
  const verdict = joblib.verdict === 'safe' && extra.some((f) => f.severity !== 'info' && f.severity !== 'low') ? 'unsafe' : joblib.verdict;
  return { ...joblib, findings, verdict };
}

/** Offsets of a report on a slice, moved to offsets in the whole file. */
function shift(r: AuditReport, by: number): AuditReport {
  return {
    ...r,
    pickles: r.pickles.map((p) => ({ ...p, start: p.start + by, end: p.end + by })),
    globals: r.globals.map((g) => ({ ...g, offset: g.offset + by })),
    calls: r.calls.map((c) => ({ ...c, offset: c.offset + by })),
    findings: r.findings.map((f) => ({ ...f, offset: f.offset + by })),
  };
}

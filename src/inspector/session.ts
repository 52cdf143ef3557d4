/**
 * The one holder of an opened file's bytes: it reads and judges the file, loads a part's value and
 * describes its nodes, and answers the byte views (disassembly windows, hex rows) and the draft
 * pack. It runs in the worker, so the page never holds the file (one copy, however big); without a
 * worker it runs on the page. Everything it returns can be posted between threads.
 */
import { toJson } from '../model/json.js';
import type { DraftPack } from '../policy/infer.js';
import { inferPack } from '../policy/infer.js';
import type { AuditReport, Verdict } from '../audit/analyze.js';
import { DisCache, type DisWindow } from './bytes.js';
import { Describer, type NodeDesc, type OpenDetail, type TreeSource } from './describe.js';
import { judge, shippedById, type PackChoice } from './judge.js';
import { isNpy } from './npy.js';
import type { OpenedPart } from './open.js';
import { loadValues } from './value.js';

/** A part as the page sees it: its report and size, not its bytes. */
export interface PartInfo {
  readonly uri: string;
  readonly report: AuditReport;
  readonly length: number;
  /** An .npy without a pickle (still shown). */
  readonly npy: boolean;
}

export interface Shown {
  readonly parts: PartInfo[];
  readonly verdict: Verdict;
  readonly policy: string;
  /** The file's size. */
  readonly size: number;
}

export interface Loaded {
  readonly mode: 'policy' | 'inspect';
  readonly notes: string[];
  readonly roots: NodeDesc[];
}

export interface Drafted {
  readonly pack: DraftPack;
  readonly denied: { readonly name: string; readonly why: string }[];
}

/**
 * Reads a Blob into one buffer of its size, reporting progress as chunks arrive. Where the stream
 * lets it (a byte stream), the chunks are read straight into that buffer, so a big file leaves no
 * garbage of its size behind.
 */
export async function readBlob(file: Blob, progress: (loaded: number, total: number) => void): Promise<Uint8Array> {
  const size = file.size;
  const stream = file.stream();
  let byob: ReadableStreamBYOBReader | null = null;
  try {
    byob = stream.getReader({ mode: 'byob' });
  } catch {
    // Not a byte stream here: read its chunks and copy them.
  }
  let last = 0;
  let at = 0;
  const tick = () => {
    if (at - last > 4 << 20) progress((last = at), size);
  };
  if (byob !== null) {
    let buffer = new ArrayBuffer(size);
    while (at < size) {
      const { done, value } = await byob.read(new Uint8Array(buffer, at, Math.min(size - at, 8 << 20)));
      if (value) buffer = value.buffer as ArrayBuffer;
      if (done || !value || value.byteLength === 0) break;
      at += value.byteLength;
      tick();
    }
    // A file that grew while it was read is refused, as below; one that shrank is what was read.
    if (at === size && !(await byob.read(new Uint8Array(1))).done) throw new Error('the file grew while it was read');
    progress(at, size);
    return new Uint8Array(buffer, 0, at);
  }
  const out = new Uint8Array(size);
  const reader = stream.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (at + value.length > out.length) throw new Error('the file grew while it was read');
    out.set(value, at);
    at += value.length;
    tick();
  }
  progress(at, size);
  return at === out.length ? out : out.subarray(0, at);
}

/** The file's holder; also the value tree's source (TreeSource) once a part is loaded. */
export class Session implements TreeSource {
  private file: { bytes: Uint8Array; name: string; parts: OpenedPart[] } | null = null;
  private tree: { describer: Describer; values: unknown[] } | null = null;
  private dis = new Map<number, DisCache>();
  private loads = 0;

  /** Reads and judges a file; the one before is kept when this one cannot be read. */
  async read(source: Blob | Uint8Array, name: string, choice: PackChoice, progress: (loaded: number, total: number) => void = () => {}): Promise<Shown> {
    const bytes = source instanceof Uint8Array ? source : await readBlob(source, progress);
    return this.judged(bytes, name, choice);
  }

  /** Judges the open file again under other packs. */
  async rejudge(choice: PackChoice): Promise<Shown> {
    const f = this.held();
    return this.judged(f.bytes, f.name, choice);
  }

  private async judged(bytes: Uint8Array, name: string, choice: PackChoice): Promise<Shown> {
    const j = await judge(bytes, name, choice);
    const parts = j.parts;
    // Judged again, the loaded value stays until the page loads another; a new file's replaces it.
    if (this.file?.bytes !== bytes) this.tree = null;
    this.file = { bytes, name, parts };
    this.dis.clear();
    return { verdict: j.verdict, policy: j.policy, size: bytes.length, parts: parts.map((p) => ({ uri: p.uri, report: p.report, length: p.bytes.length, npy: p.report.pickles.length === 0 && isNpy(p.bytes) })) };
  }

  private held(): { bytes: Uint8Array; name: string; parts: OpenedPart[] } {
    if (this.file === null) throw new Error('no file is open');
    return this.file;
  }

  private part(i: number): OpenedPart {
    const p = this.held().parts[i];
    if (p === undefined) throw new Error(`no part ${i}`);
    return p;
  }

  /** Loads a part's value (under the packs, or in inspection mode) and describes its roots. */
  async load(i: number, choice: PackChoice): Promise<Loaded> {
    const me = ++this.loads;
    this.tree = null;
    const v = await loadValues(this.part(i), this.held().bytes, choice);
    // Another load asked for since: its value is the one the page will show.
    if (me !== this.loads) throw new Error('superseded by another part');
    const describer = new Describer((o) => v.built.get(o));
    this.tree = { describer, values: v.values };
    const labels = v.values.map((_, k) => (v.values.length > 1 ? `pickle ${k + 1}` : 'value'));
    return { mode: v.mode, notes: v.notes, roots: describer.roots(v.values, labels) };
  }

  private describer(): Describer {
    if (this.tree === null) throw new Error('no value is loaded');
    return this.tree.describer;
  }

  async children(handle: number, from: number, count: number): Promise<NodeDesc[]> {
    return this.describer().children(handle, from, count);
  }

  async open(handle: number): Promise<OpenDetail> {
    return this.describer().open(handle);
  }

  async cells(handle: number, from: number, to: number, columns: readonly number[]): Promise<string[][]> {
    return this.describer().cells(handle, from, to, columns);
  }

  /** The loaded value as `pickleguard convert` prints it. */
  async json(): Promise<string> {
    this.describer();
    const vals = this.tree!.values;
    return `${JSON.stringify(vals.length === 1 ? toJson(vals[0]) : vals.map(toJson), null, 2)}\n`;
  }

  private disOf(i: number): DisCache {
    let d = this.dis.get(i);
    if (d === undefined) {
      const p = this.part(i);
      this.dis.set(i, (d = new DisCache(p.bytes, p.report.pickles)));
    }
    return d;
  }

  /** The disassembly window around the opcode at `offset`. */
  async disAt(i: number, offset: number): Promise<DisWindow> {
    return this.disOf(i).around(offset);
  }

  /** The disassembly window from line `from`. */
  async disFrom(i: number, from: number): Promise<DisWindow> {
    return this.disOf(i).from(from);
  }

  /** A copy of a part's bytes [from, to). */
  async hex(i: number, from: number, to: number): Promise<Uint8Array> {
    return this.part(i).bytes.slice(from, to);
  }

  /** A pack drafted from the file's pickles (what `policy infer` does). */
  async draft(): Promise<Drafted> {
    const samples = this.held().parts.filter((p) => p.report.pickles.length > 0).map((p) => ({ name: p.uri, bytes: p.bytes.subarray(p.report.pickles[0]!.start) }));
    const r = inferPack(samples, { id: 'drafted', base: shippedById().get('python-stdlib') });
    return { pack: r.pack, denied: r.denied.map((d) => ({ name: d.name, why: d.why })) };
  }
}

/**
 * Reading and judging off the page's thread. The worker runs this same script, started from a Blob
 * of the page's own inline script (a strict CSP allows it with `worker-src blob:`). The file's bytes
 * move between the threads (transferred, never copied), so one copy exists at any time.
 */
import type { AuditReport } from '../audit/analyze.js';
import { toJson } from '../model/json.js';
import { Describer } from './describe.js';
import { judge, type Judged, type PackChoice } from './judge.js';
import { loadValues } from './value.js';

export interface JudgeRequest {
  readonly id: number;
  readonly type?: undefined;
  readonly name: string;
  readonly choice: PackChoice;
  readonly file?: Blob;
  readonly buffer?: ArrayBuffer;
}

/**
 * The value tree of a part, kept in the worker: `load` loads a copy of the part's bytes and
 * describes its roots; the others ask about nodes by handle (see describe.ts).
 */
export type TreeRequest =
  | { readonly id: number; readonly type: 'load'; readonly uri: string; readonly report: AuditReport; readonly buffer: ArrayBuffer; readonly choice: PackChoice }
  | { readonly id: number; readonly type: 'children'; readonly handle: number; readonly from: number; readonly count: number }
  | { readonly id: number; readonly type: 'open'; readonly handle: number }
  | { readonly id: number; readonly type: 'cells'; readonly handle: number; readonly from: number; readonly to: number; readonly columns: readonly number[] }
  | { readonly id: number; readonly type: 'json' };

type Reply =
  | { id: number; type: 'answer'; value: unknown }
  | { id: number; type: 'progress'; loaded: number; total: number }
  | { id: number; type: 'done'; buffer: ArrayBuffer; judged: Judged }
  | { id: number; type: 'error'; message: string; buffer?: ArrayBuffer };

/** Reads a Blob into one buffer of its size, reporting progress as chunks arrive. */
export async function readBlob(file: Blob, progress: (loaded: number, total: number) => void): Promise<Uint8Array> {
  const out = new Uint8Array(file.size);
  const reader = file.stream().getReader();
  let at = 0;
  let last = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (at + value.length > out.length) throw new Error('the file grew while it was read');
    out.set(value, at);
    at += value.length;
    if (at - last > 4 << 20) progress((last = at), out.length);
  }
  progress(at, out.length);
  return at === out.length ? out : out.subarray(0, at);
}

/** The worker's side: answers JudgeRequests. */
export function serveWorker(scope: { onmessage: ((e: MessageEvent<JudgeRequest | TreeRequest>) => void) | null; postMessage(m: Reply, transfer?: Transferable[]): void }): void {
  let tree: { describer: Describer; values: unknown[] } | null = null;
  const answer = async (r: TreeRequest): Promise<unknown> => {
    if (r.type === 'load') {
      const bytes = new Uint8Array(r.buffer);
      tree = null;
      const v = await loadValues({ uri: r.uri, report: r.report, bytes }, bytes, r.choice);
      const describer = new Describer((o) => v.built.get(o));
      tree = { describer, values: v.values };
      const labels = v.values.map((_, i) => (v.values.length > 1 ? `pickle ${i + 1}` : 'value'));
      return { mode: v.mode, notes: v.notes, roots: describer.roots(v.values, labels) };
    }
    if (tree === null) throw new Error('no value is loaded');
    if (r.type === 'children') return tree.describer.children(r.handle, r.from, r.count);
    if (r.type === 'open') return tree.describer.open(r.handle);
    if (r.type === 'cells') return tree.describer.cells(r.handle, r.from, r.to, r.columns);
    const vals = tree.values;
    return `${JSON.stringify(vals.length === 1 ? toJson(vals[0]) : vals.map(toJson), null, 2)}\n`;
  };
  scope.onmessage = async (e) => {
    if (e.data.type !== undefined) {
      const r = e.data;
      try {
        scope.postMessage({ id: r.id, type: 'answer', value: await answer(r) });
      } catch (err) {
        scope.postMessage({ id: r.id, type: 'error', message: err instanceof Error ? err.message : String(err) });
      }
      return;
    }
    const { id, name, choice, file, buffer } = e.data;
    let bytes: Uint8Array | undefined;
    try {
      bytes = file ? await readBlob(file, (loaded, total) => scope.postMessage({ id, type: 'progress', loaded, total })) : new Uint8Array(buffer!);
      const judged = await judge(bytes, name, choice);
      const own = judged.parts.flatMap((p) => (p.own ? [p.own.buffer as ArrayBuffer] : []));
      scope.postMessage({ id, type: 'done', buffer: bytes.buffer as ArrayBuffer, judged }, [bytes.buffer as ArrayBuffer, ...new Set(own)]);
    } catch (err) {
      const buf = bytes?.buffer as ArrayBuffer | undefined;
      scope.postMessage({ id, type: 'error', message: err instanceof Error ? err.message : String(err), ...(buf ? { buffer: buf } : {}) }, buf ? [buf] : []);
    }
  };
}

export interface JudgeResult {
  readonly bytes: Uint8Array;
  readonly judged: Judged;
}

/** The page's side: a worker when one can be had, else the same work on this thread. */
export class Judge {
  private worker: Worker | null = null;
  private next = 0;
  private readonly waiting = new Map<number, { resolve(r: unknown): void; reject(e: Error): void; progress(l: number, t: number): void }>();
  readonly mode: 'worker' | 'page';

  constructor(selfScript: string | null) {
    if (selfScript) {
      try {
        const url = URL.createObjectURL(new Blob([selfScript], { type: 'text/javascript' }));
        this.worker = new Worker(url);
        this.worker.onmessage = (e: MessageEvent<Reply>) => this.reply(e.data);
        this.worker.onerror = (e) => {
          for (const w of this.waiting.values()) w.reject(new Error(`the worker failed: ${e.message}`));
          this.waiting.clear();
        };
      } catch {
        this.worker = null;
      }
    }
    this.mode = this.worker ? 'worker' : 'page';
  }

  private reply(r: Reply): void {
    const w = this.waiting.get(r.id);
    if (!w) return;
    if (r.type === 'progress') return w.progress(r.loaded, r.total);
    this.waiting.delete(r.id);
    if (r.type === 'answer') w.resolve(r.value);
    else if (r.type === 'done') w.resolve({ bytes: new Uint8Array(r.buffer), judged: r.judged });
    else w.reject(Object.assign(new Error(r.message), { buffer: r.buffer }));
  }

  /** Asks the worker about its value tree (only when there is a worker). */
  ask<T>(request: DistributiveOmit<TreeRequest, 'id'>, transfer: Transferable[] = []): Promise<T> {
    const id = ++this.next;
    return new Promise<T>((resolve, reject) => {
      this.waiting.set(id, { resolve, reject, progress: () => {} });
      this.worker!.postMessage({ ...request, id }, transfer);
    });
  }

  /** Judges a file (read in the worker) or bytes (moved to the worker and back: don't touch them meanwhile). */
  run(source: Blob | Uint8Array, name: string, choice: PackChoice, progress: (loaded: number, total: number) => void): Promise<JudgeResult> {
    if (this.worker) {
      const id = ++this.next;
      return new Promise((resolve, reject) => {
        this.waiting.set(id, { resolve, reject, progress });
        if (source instanceof Uint8Array) {
          const own = source.byteOffset === 0 && source.byteLength === source.buffer.byteLength ? source : source.slice();
          this.worker!.postMessage({ id, name, choice, buffer: own.buffer }, [own.buffer as ArrayBuffer]);
        } else this.worker!.postMessage({ id, name, choice, file: source });
      });
    }
    return (async () => {
      const bytes = source instanceof Uint8Array ? source : await readBlob(source, progress);
      return { bytes, judged: await judge(bytes, name, choice) };
    })();
  }
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

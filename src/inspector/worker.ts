/**
 * Reading, judging and loading off the page's thread. The worker runs this same script, started
 * from a Blob of the page's own inline script (a strict CSP allows it with `worker-src blob:`). The
 * worker holds the file (a Session): a picked file is read there, pasted bytes are moved there
 * (transferred, never copied), and the page asks it for what it shows.
 */
import type { PackChoice } from './judge.js';
import type { NodeDesc, OpenDetail } from './describe.js';
import type { DisWindow } from './bytes.js';
import { Session, type Drafted, type Loaded, type Shown } from './session.js';

/** What the page calls on the file's holder: a Session on this thread, or one in the worker. */
export type Holder = Pick<Session, 'read' | 'rejudge' | 'load' | 'children' | 'open' | 'cells' | 'json' | 'disAt' | 'disFrom' | 'hex' | 'draft'>;
type Method = keyof Holder;

export interface Request {
  readonly id: number;
  readonly method: Method;
  readonly args: readonly unknown[];
}

type Reply = { id: number; type: 'answer'; value: unknown } | { id: number; type: 'progress'; loaded: number; total: number } | { id: number; type: 'error'; message: string };

/** The worker's side: a Session answering Requests in turn. */
export function serveWorker(scope: { onmessage: ((e: MessageEvent<Request>) => void) | null; postMessage(m: Reply, transfer?: Transferable[]): void }): void {
  const session = new Session();
  scope.onmessage = async (e) => {
    const { id, method, args } = e.data;
    try {
      let value: unknown;
      if (method === 'read') {
        const [source, name, choice] = args as [Blob | ArrayBuffer, string, PackChoice];
        value = await session.read(source instanceof ArrayBuffer ? new Uint8Array(source) : source, name, choice, (loaded, total) => scope.postMessage({ id, type: 'progress', loaded, total }));
      } else value = await (session[method] as (...a: unknown[]) => Promise<unknown>).apply(session, args as unknown[]);
      scope.postMessage({ id, type: 'answer', value }, value instanceof Uint8Array ? [value.buffer as ArrayBuffer] : []);
    } catch (err) {
      scope.postMessage({ id, type: 'error', message: err instanceof Error ? err.message : String(err) });
    }
  };
}

/** The page's side of the worker: each call posted, its answer awaited. */
class Remote implements Holder {
  private next = 0;
  private readonly waiting = new Map<number, { resolve(r: unknown): void; reject(e: Error): void; progress(l: number, t: number): void }>();

  constructor(private readonly worker: Worker) {
    worker.onmessage = (e: MessageEvent<Reply>) => {
      const r = e.data;
      const w = this.waiting.get(r.id);
      if (!w) return;
      if (r.type === 'progress') return w.progress(r.loaded, r.total);
      this.waiting.delete(r.id);
      if (r.type === 'answer') w.resolve(r.value);
      else w.reject(new Error(r.message));
    };
    worker.onerror = (e) => {
      for (const w of this.waiting.values()) w.reject(new Error(`the worker failed: ${e.message}`));
      this.waiting.clear();
    };
  }

  private call<T>(method: Method, args: unknown[], transfer: Transferable[] = [], progress: (l: number, t: number) => void = () => {}): Promise<T> {
    const id = ++this.next;
    return new Promise<T>((resolve, reject) => {
      this.waiting.set(id, { resolve: resolve as (r: unknown) => void, reject, progress });
      this.worker.postMessage({ id, method, args } satisfies Request, transfer);
    });
  }

  /** Reads a file in the worker, or moves bytes there (don't touch them after). */
  read(source: Blob | Uint8Array, name: string, choice: PackChoice, progress: (loaded: number, total: number) => void = () => {}): Promise<Shown> {
    if (!(source instanceof Uint8Array)) return this.call('read', [source, name, choice], [], progress);
    const own = source.byteOffset === 0 && source.byteLength === source.buffer.byteLength ? source : source.slice();
    return this.call('read', [own.buffer, name, choice], [own.buffer as ArrayBuffer], progress);
  }

  rejudge(choice: PackChoice): Promise<Shown> {
    return this.call('rejudge', [choice]);
  }
  load(part: number, choice: PackChoice): Promise<Loaded> {
    return this.call('load', [part, choice]);
  }
  children(handle: number, from: number, count: number): Promise<NodeDesc[]> {
    return this.call('children', [handle, from, count]);
  }
  open(handle: number): Promise<OpenDetail> {
    return this.call('open', [handle]);
  }
  cells(handle: number, from: number, to: number, columns: readonly number[]): Promise<string[][]> {
    return this.call('cells', [handle, from, to, columns]);
  }
  json(): Promise<string> {
    return this.call('json', []);
  }
  disAt(part: number, offset: number): Promise<DisWindow> {
    return this.call('disAt', [part, offset]);
  }
  disFrom(part: number, from: number): Promise<DisWindow> {
    return this.call('disFrom', [part, from]);
  }
  hex(part: number, from: number, to: number): Promise<Uint8Array> {
    return this.call('hex', [part, from, to]);
  }
  draft(): Promise<Drafted> {
    return this.call('draft', []);
  }
}

/** The file's holder: a worker made from the page's own script when one can be had, else a Session on this thread. */
export function holder(selfScript: string | null): { holder: Holder; mode: 'worker' | 'page' } {
  if (selfScript) {
    try {
      const url = URL.createObjectURL(new Blob([selfScript], { type: 'text/javascript' }));
      return { holder: new Remote(new Worker(url)), mode: 'worker' };
    } catch {
      // No worker (a CSP without worker-src blob:, or none at all): the page does the work.
    }
  }
  return { holder: new Session(), mode: 'page' };
}

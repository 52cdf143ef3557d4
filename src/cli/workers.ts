/**
 * Scanning many files on several cores: worker threads running this same CLI bundle, each building
 * the policy from the pack paths itself (policies are values with functions; they do not cross
 * threads) and auditing the files it is sent. Results come back in any order, tagged by index.
 */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import type { AuditReport } from '../audit/analyze.js';
import { auditFile } from '../containers/open.js';
import { DEFAULT_POLICY } from '../policy/default.js';
import { hinter } from './hints.js';
import { readPack } from './packs.js';
import { createPolicy } from '../policy/registry.js';

const ROLE = 'pickleguard-audit-worker';

export type WorkerResult = { index: number; bytes: number; reports: { uri: string; report: AuditReport }[]; safeWith?: string[] } | { index: number; error: string };

/** True (and serving) when this thread is an audit worker. */
export function serveIfWorker(): boolean {
  if (isMainThread || (workerData as { role?: string } | null)?.role !== ROLE) return false;
  const { packs } = workerData as { packs: string[] };
  const policy = packs.length ? createPolicy({ packs: packs.map((p) => readPack(p, (path) => readFileSync(path))) }) : DEFAULT_POLICY;
  const hint = hinter(packs, (path) => readFileSync(path));
  parentPort!.on('message', (job: { index: number; path: string } | null) => {
    if (job === null) return void parentPort!.close();
    let data: Uint8Array;
    try {
      const buf = readFileSync(job.path);
      data = new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
    } catch (e) {
      return void parentPort!.postMessage({ index: job.index, error: `cannot read ${job.path}: ${(e as Error).message}` });
    }
    auditFile(data, { name: job.path, policy })
      .then(async (reports) => ({ reports, safeWith: await hint(data, job.path, reports) }))
      .then(
        ({ reports, safeWith }) => parentPort!.postMessage({ index: job.index, bytes: data.length, reports, ...(safeWith ? { safeWith } : {}) }),
        (e: unknown) => parentPort!.postMessage({ index: job.index, error: `${job.path}: ${String(e)}` }),
      );
  });
  return true;
}

/** Audits `paths` on up to `jobs` worker threads; calls `done` as each file finishes. */
export async function auditInWorkers(paths: readonly string[], packs: readonly string[], jobs: number, done: (r: WorkerResult) => void): Promise<void> {
  const script = fileURLToPath(import.meta.url);
  const count = Math.max(1, Math.min(jobs, paths.length));
  let next = 0;
  await Promise.all(
    Array.from({ length: count }, () =>
      new Promise<void>((resolve, reject) => {
        const worker = new Worker(script, { workerData: { role: ROLE, packs } });
        const feed = () => {
          if (next < paths.length) {
            const index = next++;
            worker.postMessage({ index, path: paths[index] });
          } else worker.postMessage(null);
        };
        worker.on('message', (r: WorkerResult) => {
          done(r);
          feed();
        });
        worker.on('error', reject);
        worker.on('exit', () => resolve());
        feed();
      }),
    ),
  );
}

export function defaultJobs(): number {
  return Math.max(1, availableParallelism());
}

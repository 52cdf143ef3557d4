// Node side of the pickleguard benchmark, run by run.mjs in a child process; prints one JSON line.
//
//   node --expose-gc node_child.mjs time loads '{"workload","protocol","path","reps","warmup","budgetS"}'
//   node node_child.mjs mem loads '{"workload","protocol","path","variant"}'
//
// The library is imported from ../../dist/index.js, or from $PICKLEGUARD_MODULE when set (a stand-in
// for testing the harness). The "dumps" op times our dumps of the value our loads returns.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { WORKLOADS, rowsFor } from './workloads.mjs';

const moduleUrl = process.env.PICKLEGUARD_MODULE
  ? pathToFileURL(resolve(process.env.PICKLEGUARD_MODULE)).href
  : new URL('../../dist/index.js', import.meta.url).href;

const gc = typeof globalThis.gc === 'function' ? globalThis.gc : () => {};

function readPickle(path) {
  const buf = readFileSync(path);
  // A plain Uint8Array over the whole file (Buffer is a subclass; keep the API call faithful).
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}

const nowMs = () => Number(process.hrtime.bigint()) / 1e6;

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * Median of up to `reps` timed calls (at least min(3, reps)), stopping early once past budgetS,
 * after `warmup` untimed calls that go on until `warmupS` seconds have passed.
 */
function timedRuns(fn, reps, warmup, budgetS, warmupS = 0) {
  const warmStart = nowMs();
  for (let i = 0; i < warmup || nowMs() - warmStart < warmupS * 1000; i++) fn();
  const times = [];
  const start = nowMs();
  for (let i = 0; i < reps; i++) {
    gc();
    const t0 = process.hrtime.bigint();
    let result = fn();
    const t1 = process.hrtime.bigint();
    result = undefined; // drop before the next gc()
    times.push(Number(t1 - t0) / 1e6);
    if (times.length >= Math.min(3, reps) && (nowMs() - start) / 1000 > budgetS) break;
  }
  gc();
  return { median_ms: median(times), min_ms: Math.min(...times), reps: times.length, times_ms: times };
}

function errorInfo(e) {
  return e instanceof Error ? `${e.name}${e.code ? ` [${e.code}]` : ''}: ${e.message}` : String(e);
}

function runCheck(workload, value, data, variant) {
  try {
    const r = workload.check ? workload.check(value, data, variant) : true;
    return r === true ? null : String(r);
  } catch (e) {
    return `check threw: ${errorInfo(e)}`;
  }
}

function memcpyBaseline(data, bytes, reps) {
  // Roughly the payload: the last `bytes` bytes before the trailing MEMOIZE/STOP opcodes.
  const src = data.subarray(Math.max(0, data.length - bytes - 2), data.length - 2);
  const srcBuf = Buffer.from(src.buffer, src.byteOffset, src.byteLength);
  const dst = Buffer.alloc(src.byteLength, 1); // allocated and touched up front: copy() is pure memcpy
  const slice = timedRuns(() => src.slice(), reps, 1, 30);
  const copy = timedRuns(() => srcBuf.copy(dst), reps, 1, 30);
  return { bytes: src.byteLength, slice_ms: slice.median_ms, copy_ms: copy.median_ms };
}

async function main() {
  const [mode, op, json] = process.argv.slice(2);
  const args = JSON.parse(json);
  const lib = await import(moduleUrl);
  if (mode === 'audit') {
    // Throughput of the static auditor over a workload's pickle: reading the file, and scanning it in memory.
    const read = timedRuns(() => readFileSync(args.path), 3, 1, 30);
    const data = readPickle(args.path);
    const report = lib.audit(data);
    const scan = timedRuns(() => lib.audit(data), args.reps, 1, 30);
    return { bytes: data.length, verdict: report.verdict, read_ms: read.median_ms, scan_ms: scan.median_ms };
  }
  const workload = WORKLOADS.find((w) => w.name === args.workload);
  if (!workload) throw new Error(`unknown workload ${args.workload}`);
  if (op !== 'loads' && op !== 'dumps') throw new Error(`unknown op ${op}`);
  if (typeof lib.loads !== 'function') throw new Error(`${moduleUrl} does not export loads()`);
  const { loads } = lib;
  if (op === 'dumps' && mode === 'time') {
    // Dump the value our loads gives (exact, so floats stay floats), at the pickle's protocol.
    const data = readPickle(args.path);
    const value = loads(data, { exact: true });
    const out = { variants: {}, baselines: {} };
    for (const variant of rowsFor(workload, op).filter((r) => r.protocol === args.protocol).map((r) => r.variant)) {
      const res = { check: null, error: null, identical: null };
      try {
        const options = { protocol: args.protocol, ...variant.options };
        const first = lib.dumps(value, options);
        res.identical = Buffer.compare(Buffer.from(first.buffer, first.byteOffset, first.byteLength), Buffer.from(data)) === 0;
        Object.assign(res, timedRuns(() => lib.dumps(value, options), args.reps, Math.max(0, args.warmup - 1), args.budgetS, args.warmupS));
      } catch (e) {
        res.error = errorInfo(e);
      }
      out.variants[variant.label] = res;
    }
    return out;
  }
  const variants = rowsFor(workload, op).filter((r) => r.protocol === args.protocol).map((r) => r.variant);

  if (mode === 'time') {
    const data = readPickle(args.path);
    const out = { variants: {}, baselines: {} };
    for (const variant of variants) {
      const res = { check: null, error: null };
      try {
        const first = loads(data, variant.options);
        res.check = runCheck(workload, first, data, variant);
        const warmup = Math.max(0, args.warmup - 1);
        Object.assign(res, timedRuns(() => loads(data, variant.options), args.reps, warmup, args.budgetS, args.warmupS));
      } catch (e) {
        res.error = errorInfo(e);
      }
      out.variants[variant.label] = res;
    }
    for (const b of workload.baselines ?? []) {
      if (b.kind === 'memcpy') out.baselines.memcpy = memcpyBaseline(data, b.bytes, args.reps);
    }
    return out;
  }

  if (mode === 'mem') {
    const variant = variants.find((v) => v.label === args.variant);
    const data = readPickle(args.path);
    const before = process.resourceUsage().maxRSS; // KiB
    let result;
    try {
      result = loads(data, variant.options);
    } catch (e) {
      return { error: errorInfo(e) };
    }
    const after = process.resourceUsage().maxRSS;
    const kept = result !== undefined; // keep the result reachable until after the measurement
    return { before_kib: before, after_kib: after, growth_kib: after - before, kept };
  }

  throw new Error(`unknown mode ${mode}`);
}

main().then(
  (res) => process.stdout.write(JSON.stringify(res) + '\n'),
  (e) => {
    process.stderr.write(`${e?.stack ?? e}\n`);
    process.exit(1);
  },
);

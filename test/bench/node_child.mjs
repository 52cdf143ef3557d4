// Node side of the pickleguard benchmark, run by run.mjs in a child process; prints one JSON line.
//
//   node [--expose-gc] node_child.mjs time loads|dumps '{"workload","protocol","path","method",…}'
//   node node_child.mjs mem loads|dumps '{"workload","protocol","path","variant"}'
//   node node_child.mjs audit audit '{"workload","path","reps"}'
//
// The library is imported as an app on Node imports it, `import('pickleguard')` (the package's "node"
// export: dist/index.cjs), or from $PICKLEGUARD_MODULE when set (a stand-in for testing the
// harness). The "dumps" op times our dumps of the value our loads returns.
// Timing methods (py_bench.py has the same two):
//   steady     warm up for warmupS seconds, then `samples` samples, each a loop of calls lasting at
//              least sampleS seconds, every result dropped before the next call, no forced GC: what
//              a service calling loads/dumps again and again sees. Per call: wall and process CPU
//              time, and minor page faults.
//   forced-gc  warm up, then `reps` calls each timed alone after a full gc() (needs --expose-gc).
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { WORKLOADS, rowsFor } from './workloads.mjs';

const moduleUrl = process.env.PICKLEGUARD_MODULE
  ? pathToFileURL(resolve(process.env.PICKLEGUARD_MODULE)).href
  : 'pickleguard';

const gc = typeof globalThis.gc === 'function' ? globalThis.gc : () => {};

function readPickle(path) {
  const buf = readFileSync(path);
  // A plain Uint8Array over the whole file (Buffer is a subclass; keep the API call faithful).
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}

const nowMs = () => Number(process.hrtime.bigint()) / 1e6;
/** Process CPU time (user + system, all threads: V8's GC and compiler threads count), in ms. */
const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const minorFaults = () => process.resourceUsage().minorPageFault;

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Untimed calls: at least `warmup`, and until `warmupS` seconds have passed. */
function warmUp(fn, warmup, warmupS) {
  const start = nowMs();
  for (let i = 0; i < warmup || nowMs() - start < warmupS * 1000; i++) fn();
}

/** Per-sample figures (each per call) → the medians the parent reads, plus the samples. */
function summary(samples) {
  const pick = (k) => samples.map((s) => s[k]);
  return {
    median_ms: median(pick('wall_ms')),
    min_ms: Math.min(...pick('wall_ms')),
    cpu_ms: median(pick('cpu_ms')),
    faults: median(pick('faults')),
    calls: samples.reduce((a, s) => a + s.calls, 0),
    samples,
  };
}

/** Steady state: `samples` loops of calls, each at least `sampleS` seconds; no forced GC. */
function steadyRuns(fn, { warmup = 1, warmupS = 0.5, samples = 5, sampleS = 0.25 }) {
  warmUp(fn, warmup, warmupS);
  const out = [];
  for (let k = 0; k < samples; k++) {
    const f0 = minorFaults();
    const c0 = cpuMs();
    const t0 = nowMs();
    let calls = 0;
    let t1;
    do {
      fn(); // the result is dropped at once
      calls++;
      t1 = nowMs();
    } while (t1 - t0 < sampleS * 1000);
    const c1 = cpuMs();
    const f1 = minorFaults();
    out.push({ wall_ms: (t1 - t0) / calls, cpu_ms: (c1 - c0) / calls, faults: (f1 - f0) / calls, calls });
  }
  return summary(out);
}

/** Today's method: `reps` calls, each alone after a full GC (stopping early once past budgetS). */
function forcedGcRuns(fn, { reps, warmup = 1, warmupS = 0.5, budgetS = 20 }) {
  warmUp(fn, warmup, warmupS);
  const out = [];
  const start = nowMs();
  for (let i = 0; i < reps; i++) {
    gc();
    const f0 = minorFaults();
    const c0 = cpuMs();
    const t0 = nowMs();
    let result = fn();
    const t1 = nowMs();
    const c1 = cpuMs();
    const f1 = minorFaults();
    result = undefined; // drop before the next gc()
    out.push({ wall_ms: t1 - t0, cpu_ms: c1 - c0, faults: f1 - f0, calls: 1, dropped: result });
    if (out.length >= Math.min(3, reps) && (nowMs() - start) / 1000 > budgetS) break;
  }
  gc();
  for (const s of out) delete s.dropped;
  return summary(out);
}

function timedRuns(fn, args) {
  return args.method === 'forced-gc' ? forcedGcRuns(fn, args) : steadyRuns(fn, args);
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

function memcpyBaseline(data, bytes, args) {
  // Roughly the payload: the last `bytes` bytes before the trailing MEMOIZE/STOP opcodes.
  const src = data.subarray(Math.max(0, data.length - bytes - 2), data.length - 2);
  const srcBuf = Buffer.from(src.buffer, src.byteOffset, src.byteLength);
  const dst = Buffer.alloc(src.byteLength, 1); // allocated and touched up front: copy() is pure memcpy
  const slice = timedRuns(() => src.slice(), args);
  const copy = timedRuns(() => srcBuf.copy(dst), args);
  return { bytes: src.byteLength, slice_ms: slice.median_ms, copy_ms: copy.median_ms };
}

/** A variant's options for the library: `packs` (shipped pack ids) becomes a policy of those packs. */
function optionsOf(lib, options) {
  if (!options?.packs) return options;
  const { packs, ...rest } = options;
  return { ...rest, policy: lib.createPolicy({ packs: packs.map((id) => lib.shippedPack(id)) }) };
}

async function main() {
  const [mode, op, json] = process.argv.slice(2);
  const args = JSON.parse(json);
  const lib = await import(moduleUrl);
  if (mode === 'audit') {
    // Throughput of the static auditor over a workload's pickle: reading the file, and scanning it in memory.
    const how = { method: 'forced-gc', reps: args.reps, warmup: 1, warmupS: 0, budgetS: 30 };
    const read = timedRuns(() => readFileSync(args.path), { ...how, reps: 3 });
    const data = readPickle(args.path);
    // The policy the workload loads with (the numpy pack for numpy), so the verdict means something.
    const policy = optionsOf(lib, WORKLOADS.find((w) => w.name === args.workload)?.loads?.variants[0]?.options)?.policy;
    const options = policy ? { policy } : undefined;
    const report = lib.audit(data, options);
    const scan = timedRuns(() => lib.audit(data, options), how);
    return { bytes: data.length, verdict: report.verdict, read_ms: read.median_ms, scan_ms: scan.median_ms };
  }
  const workload = WORKLOADS.find((w) => w.name === args.workload);
  if (!workload) throw new Error(`unknown workload ${args.workload}`);
  if (op !== 'loads' && op !== 'dumps') throw new Error(`unknown op ${op}`);
  if (typeof lib.loads !== 'function') throw new Error(`${moduleUrl} does not export loads()`);
  const { loads } = lib;
  const variants = rowsFor(workload, op).filter((r) => r.protocol === args.protocol).map((r) => r.variant);
  const data = readPickle(args.path);
  // dumps: the value our loads gives (exact, so floats stay floats), dumped at the pickle's protocol.
  const value = op === 'dumps' ? loads(data, optionsOf(lib, { ...workload.loadOptions, exact: true })) : undefined;
  const call = (variant) => {
    if (op === 'loads') {
      const options = optionsOf(lib, variant.options);
      return () => loads(data, options);
    }
    const options = { protocol: args.protocol, ...variant.options };
    return () => lib.dumps(value, options);
  };

  if (mode === 'time') {
    const out = { variants: {}, baselines: {} };
    for (const variant of variants) {
      const res = { check: null, error: null, identical: null };
      try {
        const fn = call(variant);
        const first = fn();
        if (op === 'loads') res.check = runCheck(workload, first, data, variant);
        else if (variant.options?.fast) res.sha256 = createHash('sha256').update(first).digest('hex'); // vs CPython's Pickler.fast
        else res.identical = Buffer.compare(Buffer.from(first.buffer, first.byteOffset, first.byteLength), Buffer.from(data)) === 0;
        Object.assign(res, timedRuns(fn, { ...args, warmup: Math.max(0, args.warmup - 1) }));
      } catch (e) {
        res.error = errorInfo(e);
      }
      out.variants[variant.label] = res;
    }
    if (op === 'loads') {
      for (const b of workload.baselines ?? []) {
        if (b.kind === 'memcpy') out.baselines.memcpy = memcpyBaseline(data, b.bytes, args);
      }
    }
    return out;
  }

  if (mode === 'mem') {
    const variant = variants.find((v) => v.label === args.variant);
    const fn = call(variant);
    const before = process.resourceUsage().maxRSS; // KiB
    let result;
    try {
      result = fn();
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

#!/usr/bin/env node
// pickleguard benchmark: our `loads` vs CPython's `pickle.loads` (C unpickler), side by side.
//
//   npm run bench [-- options]          (= node test/bench/run.mjs)
//
//   --only NAME[,NAME]  run a subset of workloads (see --help for names)
//   --quick             one round, 3 short samples (or reps), no timed warm-up (smoke test)
//   --forced-gc         time calls one by one with a full GC before each (the earlier method), labelled
//   --rounds N          timing rounds per row (default 3): CPython and pickleguard children take turns
//   --json              print machine-readable results instead of the table
//   --no-mem            skip the peak-memory measurements
//   --no-build          do not (re)build dist/ first
//   --keep              keep the generated pickle files (their directory is printed)
//
// Environment: PYTHON (default python3; a workload may name its own interpreter, e.g. Debian's for pandas); PICKLEGUARD_MODULE=path/to/module.mjs to measure a stand-in
// instead of the library as Node resolves `pickleguard` (dist/index.cjs; skips the build).
//
// Method (default, "steady"): each workload's value is built in CPython and pickled (protocol 4, plus 5
// where listed) to a temp file once per run. Per workload, operation and protocol, a python3 child and a
// node child (a fresh process each) read the same file, warm up for WARMUP_S seconds, then take
// SAMPLES samples, each a loop of calls lasting at least SAMPLE_S seconds with every result dropped
// before the next call and no forced GC on either side: a service calling loads/dumps again and again.
// A sample gives per call the wall time, the process CPU time and the minor page faults; a child
// reports the median of its samples. This runs for `--rounds` rounds, the two sides taking turns
// (CPython first in odd rounds), so a slow spell of a shared machine falls on both; the table gives
// the median over rounds of each round's ratio, and its spread [min-max].
// --forced-gc: the earlier method instead, labelled as such: `reps` calls timed one by one, each
// after a full GC (node --expose-gc / gc.collect()).
// Memory: for each row a fresh child per side reads the file, then records the growth of peak RSS
// (getrusage maxrss / process.resourceUsage().maxRSS) caused by one load.
// Speed ratio = CPython time / ours (higher is better for us). Missed targets are marked; they never
// make the exit code non-zero. Exit code 1 means the harness failed, loads threw, or a result failed
// its sanity check (workloads.mjs); 2 means bad arguments.
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readdirSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir, cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WORKLOADS, MEM_RATIO_TARGET, MEM_NOISE_FLOOR_MB, rowsFor } from './workloads.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, '..', '..');
const PY_BENCH = join(HERE, 'py_bench.py');
const NODE_CHILD = join(HERE, 'node_child.mjs');
const PYTHON = process.env.PYTHON || 'python3';
const OPS = ['loads', 'dumps'];
/** Each side's children warm up for at least this long (and `warmup` calls) before timing. */
const WARMUP_S = 0.5;
/** Steady state: samples per child, and the least time one sample's loop of calls lasts. */
const SAMPLES = 5;
const SAMPLE_S = 0.25;
const DEFAULT_ROUNDS = 3;
const MB = 1024 * 1024;

// ---------------------------------------------------------------------------------------------- args

function usage() {
  return [
    'usage: node test/bench/run.mjs [--only NAME[,NAME]] [--quick] [--forced-gc] [--rounds N] [--json] [--no-mem] [--no-build] [--keep]',
    `workloads: ${WORKLOADS.map((w) => w.name).join(', ')}`,
  ].join('\n');
}

function parseArgs(argv) {
  const opts = { only: null, quick: false, forcedGc: false, rounds: null, json: false, mem: true, build: true, keep: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--quick') opts.quick = true;
    else if (a === '--forced-gc') opts.forcedGc = true;
    else if (a === '--json') opts.json = true;
    else if (a === '--no-mem') opts.mem = false;
    else if (a === '--no-build') opts.build = false;
    else if (a === '--keep') opts.keep = true;
    else if (a === '--rounds' || a.startsWith('--rounds=')) {
      const v = a === '--rounds' ? argv[++i] : a.slice('--rounds='.length);
      if (!/^[1-9]\d*$/.test(v ?? '')) fail(`--rounds needs a positive integer\n${usage()}`, 2);
      opts.rounds = Number(v);
    }
    else if (a === '--only' || a.startsWith('--only=')) {
      const v = a === '--only' ? argv[++i] : a.slice('--only='.length);
      if (!v) fail(`--only needs a value\n${usage()}`, 2);
      opts.only = v.split(',').map((s) => s.trim()).filter(Boolean);
    } else if (a === '-h' || a === '--help') {
      process.stdout.write(usage() + '\n');
      process.exit(0);
    } else fail(`unknown argument ${a}\n${usage()}`, 2);
  }
  if (opts.only) {
    const unknown = opts.only.filter((n) => !WORKLOADS.some((w) => w.name === n));
    if (unknown.length) fail(`unknown workload(s): ${unknown.join(', ')}\n${usage()}`, 2);
  }
  return opts;
}

function fail(msg, code = 1) {
  process.stderr.write(`bench: ${msg}\n`);
  process.exit(code);
}

const log = (msg) => process.stderr.write(`[bench] ${msg}\n`);

// ------------------------------------------------------------------------------------------ children

/** Runs a child to completion and parses the JSON on the last line of its stdout. */
function runJson(cmd, args, { input, timeoutS = 600 } = {}) {
  const r = spawnSync(cmd, args, { input, encoding: 'utf8', maxBuffer: 64 * MB, timeout: timeoutS * 1000 });
  if (r.error) return { error: `${cmd}: ${r.error.message}` };
  if (r.status !== 0) {
    const tail = (r.stderr || '').trim().split('\n').slice(-8).join('\n');
    return { error: `${cmd} exited with ${r.status ?? r.signal}${tail ? `:\n${tail}` : ''}` };
  }
  const line = r.stdout.trim().split('\n').pop();
  try {
    return JSON.parse(line);
  } catch {
    return { error: `${cmd}: unparsable output: ${line?.slice(0, 200)}` };
  }
}

const py = (args, { python = PYTHON, ...opts } = {}) => runJson(python, [PY_BENCH, ...args], opts);
const pythonOf = (w) => w.python ?? PYTHON;
const node = (args, { exposeGc = false, ...opts } = {}) =>
  runJson(process.execPath, [...(exposeGc ? ['--expose-gc'] : []), NODE_CHILD, ...args], opts);

// --------------------------------------------------------------------------------------------- build

function newestMtime(path) {
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = st.mtimeMs;
  for (const e of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, e)));
  return newest;
}

async function ensureBuilt() {
  const src = join(ROOT, 'src');
  const out = join(ROOT, 'dist', 'index.cjs');
  if (!existsSync(join(src, 'index.ts'))) fail('src/index.ts does not exist (nothing to benchmark yet)');
  const stale = !existsSync(out) || statSync(out).mtimeMs < Math.max(newestMtime(src), statSync(join(ROOT, 'esbuild.config.mjs')).mtimeMs);
  if (!stale) return 'dist/index.cjs is up to date';
  const r = spawnSync(process.execPath, ['esbuild.config.mjs'], { cwd: ROOT, encoding: 'utf8' });
  if (r.status === 0) return 'built dist/ with esbuild.config.mjs';
  // The full build also bundles the CLI and a browser check; the bench needs only what Node loads.
  const why = (r.stderr || r.stdout || '').trim().split('\n').filter((l) => /error/i.test(l)).slice(0, 3).join('\n');
  log(`esbuild.config.mjs failed; building only dist/index.cjs${why ? `:\n${why}` : ''}`);
  try {
    const { build } = await import('esbuild');
    await build({ entryPoints: [join(src, 'index.ts')], outfile: out, bundle: true, sourcemap: true, target: 'es2022', format: 'cjs', platform: 'node', logLevel: 'error' });
    return 'built dist/index.cjs only (full build failed, see above)';
  } catch (e) {
    fail(`could not build dist/index.cjs: ${e.message}`);
  }
}

// ----------------------------------------------------------------------------------------- measuring

function plan(opts) {
  const workloads = WORKLOADS.filter((w) => !opts.only || opts.only.includes(w.name));
  return workloads.map((w) => ({
    ...w,
    reps: opts.quick ? Math.min(3, w.reps) : w.reps,
    warmup: opts.quick ? Math.min(1, w.warmup) : w.warmup,
    budgetS: opts.quick ? 5 : 20,
    warmupS: opts.quick ? 0 : WARMUP_S,
    samples: opts.quick ? 3 : SAMPLES,
    sampleS: opts.quick ? 0.05 : SAMPLE_S,
  }));
}

/**
 * A bytes-dominated checkpoint of `totalMB`: a protocol 4 OrderedDict of name -> 4 MiB BINBYTES8
 * payloads (the shape of a state dict with tensor bytes inline), streamed to `path`.
 */
function writeCheckpoint(path, totalMB) {
  const chunk = 4 * MB;
  const name = (s) => {
    const b = Buffer.from(s);
    return Buffer.concat([Buffer.from([0x8c, b.length]), b]); // SHORT_BINUNICODE
  };
  const fd = openSync(path, 'w');
  try {
    // PROTO 4, collections OrderedDict STACK_GLOBAL MEMOIZE, EMPTY_TUPLE REDUCE MEMOIZE, MARK
    writeSync(fd, Buffer.concat([Buffer.from([0x80, 0x04]), name('collections'), name('OrderedDict'), Buffer.from([0x93, 0x94, 0x29, 0x52, 0x94, 0x28])]));
    const payload = Buffer.alloc(chunk);
    for (let i = 0; i < chunk; i += 4) payload.writeUInt32LE((i * 2654435761) >>> 0, i);
    const size = Buffer.alloc(8);
    size.writeBigUInt64LE(BigInt(chunk));
    for (let i = 0; i < Math.max(1, Math.round(totalMB / 4)); i++) {
      writeSync(fd, Buffer.concat([name(`layer${i}.weight`), Buffer.from([0x94, 0x8e]), size])); // MEMOIZE, BINBYTES8
      writeSync(fd, payload);
      writeSync(fd, Buffer.from([0x94])); // MEMOIZE
    }
    writeSync(fd, Buffer.from([0x75, 0x2e])); // SETITEMS, STOP
  } finally {
    closeSync(fd);
  }
}

function makePickles(workloads, dir) {
  const files = new Map();
  for (const python of new Set(workloads.map(pythonOf))) {
    for (const [k, f] of makePicklesWith(python, workloads.filter((w) => pythonOf(w) === python), dir)) files.set(k, f);
  }
  return files;
}

/**
 * The workloads that name their own interpreter or modules (`python`, `requires`), each with what
 * that interpreter reports; those it cannot serve are dropped with the reason, printed.
 */
function checkInterpreters(workloads, skipped) {
  const ready = [];
  for (const w of workloads) {
    if (!w.python && !w.requires) {
      ready.push(w);
      continue;
    }
    const info = py(['info', ...(w.requires ?? [])], { python: pythonOf(w) });
    const missing = info.error ?? Object.entries(info.modules ?? {}).filter(([, m]) => m.error).map(([n, m]) => `${n}: ${m.error}`).join('; ');
    if (missing) {
      const why = `skipped: ${pythonOf(w)} cannot run it (${missing})`;
      log(`${w.name}: ${why}`);
      skipped.push({ workload: w.name, reason: why });
    } else {
      const mods = Object.entries(info.modules).map(([n, m]) => `${n} ${m.version}`).join(', ');
      ready.push({ ...w, interpreter: `${info.executable} (${info.implementation} ${info.version}${mods ? `, ${mods}` : ''})` });
    }
  }
  return ready;
}

function makePicklesWith(python, workloads, dir) {
  const specs = workloads.map((w) => ({
    name: w.name,
    setup: w.setup ?? '',
    expr: w.expr,
    pickles: w.protocols.map((p) => ({ protocol: p, path: join(dir, `${w.name}.p${p}.pickle`) })),
  }));
  const res = py(['make'], { input: JSON.stringify(specs), python });
  if (res.error) fail(`making pickles failed: ${res.error}`);
  const files = new Map();
  for (const w of res) for (const f of w.files) files.set(`${w.name}/${f.protocol}`, f);
  return files;
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** The median, least and greatest of `xs` (null when empty). */
function spread(xs) {
  return xs.length ? { median: median(xs), min: Math.min(...xs), max: Math.max(...xs) } : null;
}

/**
 * One row's figures over its rounds: each side's median per call (ms, CPU ms, page faults) as the
 * median over rounds, and the speed ratios CPython/ours computed per round, with their spread.
 * `fast` is CPython's `Pickler.fast` timing, for a dumps variant that sets `fast` (null otherwise).
 */
function pool(pyRuns, ourRuns, fastRuns) {
  const failed = pyRuns.find((r) => r.error) ?? null;
  const ourFailed = ourRuns.find((r) => r.error) ?? null;
  const side = (runs) => ({
    medianMs: median(runs.map((r) => r.median_ms)),
    minMs: Math.min(...runs.map((r) => r.min_ms)),
    cpuMs: median(runs.map((r) => r.cpu_ms)),
    faults: median(runs.map((r) => r.faults)),
    calls: runs.reduce((a, r) => a + r.calls, 0),
  });
  const cpython = failed ? { error: failed.error } : side(pyRuns);
  const ours = ourFailed ? { error: ourFailed.error } : side(ourRuns);
  const out = { cpython, ours, check: ourRuns.find((r) => r.check)?.check ?? null, identical: ourRuns[0]?.identical ?? null, wall: null, cpu: null, vsFast: null };
  if (failed || ourFailed) return out;
  out.wall = spread(pyRuns.map((p, i) => p.median_ms / ourRuns[i].median_ms));
  out.cpu = spread(pyRuns.map((p, i) => (ourRuns[i].cpu_ms > 0 ? p.cpu_ms / ourRuns[i].cpu_ms : NaN)).filter(Number.isFinite));
  if (fastRuns && !fastRuns.some((r) => r == null || r.error)) {
    out.cpythonFast = side(fastRuns);
    out.vsFast = spread(fastRuns.map((p, i) => p.median_ms / ourRuns[i].median_ms));
  }
  return out;
}

function measure(workloads, files, opts) {
  const rows = [];
  const rounds = opts.rounds ?? (opts.quick ? 1 : DEFAULT_ROUNDS);
  const method = opts.forcedGc ? 'forced-gc' : 'steady';
  for (const w of workloads) {
    for (const op of OPS) {
      const wrows = rowsFor(w, op);
      if (wrows.length === 0) continue;
      for (const protocol of w.protocols) {
        const file = files.get(`${w.name}/${protocol}`);
        const prows = wrows.filter((r) => r.protocol === protocol);
        const tag = `${w.name} p${protocol} ${op}`;
        const how = { method, reps: w.reps, warmup: w.warmup, warmupS: w.warmupS, budgetS: w.budgetS, samples: w.samples, sampleS: w.sampleS };
        const fast = prows.some((r) => r.variant.options?.fast === true);
        const pyArgs = { path: file.path, protocol, fast, ...how };
        const nodeArgs = { workload: w.name, protocol, path: file.path, ...how };
        const pyRuns = [];
        const nodeRuns = [];
        for (let round = 1; round <= rounds; round++) {
          const sides = [
            () => {
              log(`${tag}: CPython timing (${method}, round ${round}/${rounds})…`);
              pyRuns.push(py(['time', op, JSON.stringify(pyArgs)], { python: pythonOf(w) }));
            },
            () => {
              log(`${tag}: pickleguard timing (${method}, round ${round}/${rounds})…`);
              nodeRuns.push(node(['time', op, JSON.stringify(nodeArgs)], { exposeGc: method === 'forced-gc' }));
            },
          ];
          if (round % 2 === 0) sides.reverse();
          for (const side of sides) side();
        }
        const pyDefault = pyRuns.map((r) => (r.error ? r : r.default));
        const pyFast = fast ? pyRuns.map((r) => (r.error ? r : r.fast)) : null;
        const nodeFailed = nodeRuns.find((r) => r.error);
        let pyM = null;
        // Peak memory of loads only: a dumps child's peak before the call already holds the value's load.
        if (opts.mem && op === 'loads') {
          log(`${tag}: peak memory…`);
          pyM = py(['mem', op, JSON.stringify({ path: file.path, protocol, setup: w.setup ?? '' })], { python: pythonOf(w) });
        }
        for (const r of prows) {
          const ourRuns = nodeFailed ? [nodeFailed] : nodeRuns.map((n) => n.variants[r.variant.label]);
          const pooled = pool(pyDefault, ourRuns, r.variant.options?.fast === true ? pyFast : null);
          // A fast dumps is compared with the bytes of CPython's Pickler.fast, not with the pickle.
          if (r.variant.options?.fast === true && !nodeFailed && !pyRuns[0]?.error) pooled.identicalFast = ourRuns[0]?.sha256 === pyRuns[0].fast_sha256;
          const ourM = opts.mem && op === 'loads'
            ? node(['mem', op, JSON.stringify({ workload: w.name, protocol, path: file.path, variant: r.variant.label })])
            : null;
          rows.push(summarize(r, file, pooled, nodeFailed ? {} : nodeRuns[0].baselines ?? {}, pyM, ourM));
        }
      }
    }
  }
  return rows;
}

function summarize(r, file, pooled, baselines, pyM, ourM) {
  const row = {
    id: r.id,
    workload: r.workload.name,
    op: r.op,
    protocol: r.protocol,
    variant: r.variant.label || 'default',
    options: r.variant.options ?? null,
    pickleBytes: file.size,
    cpython: pooled.cpython,
    ours: pooled.ours,
    cpythonFast: pooled.cpythonFast ?? null,
    check: pooled.check,
    identical: pooled.identical,
    identicalFast: pooled.identicalFast ?? null,
    speedRatio: null,
    spread: pooled.wall,
    cpuRatio: pooled.cpu?.median ?? null,
    vsFast: pooled.vsFast,
    target: r.target,
    targetMet: null,
    memcpy: baselines.memcpy ?? null,
    mem: null,
  };
  if (pooled.wall && !row.check) {
    row.speedRatio = pooled.wall.median;
    if (r.target.ratio != null) row.targetMet = row.speedRatio >= r.target.ratio;
    else if (r.target.memcpy != null && row.memcpy) {
      row.oursPerMemcpy = row.ours.medianMs / row.memcpy.slice_ms;
      row.targetMet = row.oursPerMemcpy <= r.target.memcpy;
    }
    if (r.target.fast != null && row.vsFast) row.targetMet = row.targetMet !== false && row.vsFast.median >= r.target.fast;
  }
  if (pyM || ourM) {
    const m = { cpythonMB: null, oursMB: null, ratio: null, target: MEM_RATIO_TARGET, judged: false, met: null };
    if (pyM && !pyM.error) m.cpythonMB = pyM.growth_kib / 1024;
    else m.cpythonError = pyM?.error;
    if (ourM && !ourM.error) m.oursMB = ourM.growth_kib / 1024;
    else m.oursError = ourM?.error;
    if (m.cpythonMB != null && m.oursMB != null) {
      m.ratio = m.cpythonMB > 0 ? m.oursMB / m.cpythonMB : null;
      m.judged = Math.max(m.cpythonMB, m.oursMB) >= MEM_NOISE_FLOOR_MB;
      if (m.judged) m.met = m.ratio != null && m.ratio <= MEM_RATIO_TARGET;
    }
    row.mem = m;
  }
  return row;
}

// ------------------------------------------------------------------------------------------- output

const fmtMs = (x) => (x == null ? '-' : x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));
const fmtMB = (x) => (x == null ? '-' : x.toFixed(1));
const fmtSize = (b) => (b >= MB ? `${(b / MB).toFixed(1)} MB` : `${(b / 1024).toFixed(0)} KB`);
const fmtTarget = (t) =>
  [t.ratio != null ? `>=${t.ratio.toFixed(2)}x` : t.memcpy != null ? `<=${t.memcpy}x memcpy` : '-', t.fast != null ? `(fast >=${t.fast.toFixed(2)}x)` : '']
    .filter(Boolean).join(' ');
const fmtRatio = (x) => (x == null ? '-' : `${x.toFixed(2)}x`);
const fmtSpread = (s) => (s == null ? '-' : `${s.median.toFixed(2)}x [${s.min.toFixed(2)}-${s.max.toFixed(2)}]`);
const fmtFaults = (x) => (x == null ? '-' : x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));

function table(rows) {
  const cols = [
    ['workload', 'l'], ['pickle size', 'r'], ['CPython ms', 'r'], ['ours ms', 'r'], ['wall ratio [min-max]', 'r'], ['CPU ratio', 'r'],
    ['faults/call CPython', 'r'], ['ours', 'r'], ['target', 'l'], ['CPython MB', 'r'], ['ours MB', 'r'], ['mem ratio', 'r'], ['', 'l'],
  ];
  const body = rows.map((r) => {
    const notes = [];
    if (r.targetMet === false) notes.push('<< MISS speed');
    if (r.identical === true) notes.push('bytes = pickle.dumps');
    if (r.identical === false) notes.push('bytes differ from pickle.dumps');
    if (r.identicalFast === true) notes.push('bytes = Pickler.fast');
    if (r.identicalFast === false) notes.push('bytes differ from Pickler.fast');
    if (r.vsFast) notes.push(`vs CPython fast ${fmtSpread(r.vsFast)} (${fmtMs(r.cpythonFast?.medianMs)} ms)`);
    if (r.mem?.met === false) notes.push('<< MISS mem');
    if (r.oursPerMemcpy != null) notes.push(`(ours = ${r.oursPerMemcpy.toFixed(2)}x memcpy)`);
    if (r.ours.error) notes.push('ERROR (see below)');
    if (r.cpython.error) notes.push('CPython ERROR (see below)');
    if (r.check) notes.push('CHECK FAILED (see below)');
    if (r.mem?.oursError || r.mem?.cpythonError) notes.push('mem ERROR (see below)');
    const memRatio = r.mem?.ratio == null ? '-' : `${r.mem.ratio.toFixed(2)}${r.mem.judged ? '' : '~'}`;
    return [
      r.id, fmtSize(r.pickleBytes), r.cpython.error ? 'ERROR' : fmtMs(r.cpython.medianMs), r.ours.error ? 'ERROR' : fmtMs(r.ours.medianMs),
      r.check ? '-' : fmtSpread(r.spread), fmtRatio(r.cpuRatio), fmtFaults(r.cpython.faults), fmtFaults(r.ours.faults), fmtTarget(r.target),
      fmtMB(r.mem?.cpythonMB), fmtMB(r.mem?.oursMB), memRatio, notes.join(' '),
    ];
  });
  const widths = cols.map(([h], i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const fmtRow = (cells) => cells.map((c, i) => (cols[i][1] === 'r' ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ').trimEnd();
  const memStart = widths.slice(0, 9).reduce((a, w) => a + w + 2, 0);
  const memWidth = widths[9] + widths[10] + widths[11] + 4;
  const group = ' '.repeat(memStart) + `peak RSS growth (<=${MEM_RATIO_TARGET}x)`.padStart(memWidth);
  const header = fmtRow(cols.map(([h]) => h));
  return [group, header, '-'.repeat(header.length), ...body.map(fmtRow)].join('\n');
}

function report(result, workloads) {
  const out = [];
  out.push(`pickleguard bench — node ${result.node}, CPython ${result.python.version}` +
    `${result.python.c_unpickler ? ' (_pickle C unpickler)' : ' (WARNING: pure-Python pickle)'}, ` +
    `${result.platform}, ${result.cpus} CPUs${result.quick ? ', --quick' : ''}`);
  out.push(`module: ${result.module}`);
  out.push(`method: ${result.method === 'forced-gc' ? 'FORCED GC (--forced-gc): each call timed alone after a full GC' : 'steady state (no forced GC)'}`);
  out.push(`load average (1, 5, 15 min): at start ${result.loadavg.start.map((x) => x.toFixed(2)).join(' ')}, at end ${result.loadavg.end.map((x) => x.toFixed(2)).join(' ')}`);
  out.push('');
  out.push(table(result.rows));
  out.push('');
  out.push('wall ratio = CPython ms / our ms per call, the median over rounds of each round\'s ratio [least-greatest round] (higher = we are faster);');
  out.push('CPU ratio = the same for process CPU time (all threads: V8\'s GC and compiler threads count). faults/call = minor page faults per call.');
  out.push('ms, CPU and faults: each child\'s median over its samples, then the median over rounds. MB = 2^20 bytes.');
  out.push(`mem ratio = our peak-RSS growth / CPython's for one call in a fresh process; "~" = both under ${MEM_NOISE_FLOOR_MB} MB, not judged.`);
  out.push(result.method === 'forced-gc'
    ? 'Timing (--forced-gc): each call timed alone, a full GC before it (CPython\'s cyclic GC stays enabled during a call).'
    : `Timing: each child warms up for ${result.quick ? 0 : WARMUP_S} s, then takes ${result.quick ? 3 : SAMPLES} samples, each a loop of calls lasting >= ${result.quick ? 0.05 : SAMPLE_S} s, every result dropped, no forced GC.`);
  out.push(`${result.rounds} round(s) per row, a fresh process per side, workload and operation in each, the sides taking turns.`);
  for (const r of result.rows) {
    if (r.memcpy && r.variant === 'default') {
      const gbs = (ms) => ((r.memcpy.bytes / 1e9) / (ms / 1000)).toFixed(2);
      out.push(`memcpy baseline (${r.id} child): ${fmtSize(r.memcpy.bytes)} Uint8Array#slice ${fmtMs(r.memcpy.slice_ms)} ms (${gbs(r.memcpy.slice_ms)} GB/s), ` +
        `Buffer#copy into preallocated ${fmtMs(r.memcpy.copy_ms)} ms (${gbs(r.memcpy.copy_ms)} GB/s)`);
    }
  }
  if (result.audit?.length) {
    out.push('');
    out.push('audit (static scan, no value built): MB/s scanning the pickle in memory, and reading it from disk');
    for (const a of result.audit) {
      if (a.error) out.push(`  ${a.workload.padEnd(17)} ERROR ${a.error}`);
      else {
        const mbs = (ms) => (a.bytes / MB / (ms / 1000)).toFixed(0);
        out.push(`  ${a.workload.padEnd(17)} ${fmtSize(a.bytes).padStart(9)}  scan ${fmtMs(a.scan_ms).padStart(6)} ms = ${mbs(a.scan_ms).padStart(6)} MB/s   read ${fmtMs(a.read_ms).padStart(6)} ms = ${mbs(a.read_ms).padStart(6)} MB/s   verdict ${a.verdict}`);
      }
    }
  }
  out.push('');
  out.push('workloads (Python value, pickled with pickle.dumps(value, protocol=N)):');
  for (const w of workloads) out.push(`  ${w.name.padEnd(17)} ${w.about}\n  ${''.padEnd(17)} ${w.setup ? `${w.setup.replace(/\n/g, '; ')}; ` : ''}${w.expr}${result.method === 'forced-gc' ? `  [reps ${w.reps}]` : ''}`);
  for (const w of workloads.filter((x) => x.interpreter)) out.push(`  ${w.name.padEnd(17)} CPython side: ${w.interpreter}; our side: node ${result.node}, ${result.module}`);
  for (const s of result.skipped ?? []) out.push(`  ${s.workload.padEnd(17)} ${s.reason}`);
  const problems = [];
  for (const r of result.rows) {
    if (r.cpython.error) problems.push(`${r.id}: CPython: ${r.cpython.error}`);
    if (r.ours.error) problems.push(`${r.id}: pickleguard: ${r.ours.error}`);
    if (r.check) problems.push(`${r.id}: result check failed: ${r.check}`);
    if (r.mem?.cpythonError) problems.push(`${r.id}: CPython mem: ${r.mem.cpythonError}`);
    if (r.mem?.oursError) problems.push(`${r.id}: pickleguard mem: ${r.mem.oursError}`);
  }
  if (problems.length) out.push('', 'problems:', ...problems.map((p) => `  ${p}`));
  const misses = result.rows.filter((r) => r.targetMet === false || r.mem?.met === false).map((r) => r.id);
  // Rows with a target but no verdict (rows without a target, such as shared dumps, are only shown).
  const unjudged = result.rows.filter((r) => r.targetMet == null && (r.target?.ratio != null || r.target?.memcpy != null)).map((r) => r.id);
  // (a failed result check also leaves the speed target unjudged: the timing of a wrong result means nothing)
  const judgedCount = result.rows.length - unjudged.length;
  out.push('', misses.length ? `targets missed: ${misses.join(', ')}` : judgedCount ? 'all judged targets met' : 'no targets judged');
  if (unjudged.length) out.push(`speed not judged (errors or failed checks): ${unjudged.join(', ')}`);
  return out.join('\n');
}

// ---------------------------------------------------------------------------------------------- main

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const started = Date.now();
  const startLoad = loadavg();
  const info = py(['info']);
  if (info.error) fail(`cannot run ${PYTHON}: ${info.error}`);
  let module = "'pickleguard' as Node resolves it (dist/index.cjs)";
  if (process.env.PICKLEGUARD_MODULE) module = `${process.env.PICKLEGUARD_MODULE} (PICKLEGUARD_MODULE stand-in)`;
  else if (opts.build) log(await ensureBuilt());
  else if (!existsSync(join(ROOT, 'dist', 'index.cjs'))) fail('dist/index.cjs is missing (run without --no-build)');

  const skipped = [];
  const workloads = checkInterpreters(plan(opts), skipped);
  const dir = mkdtempSync(join(tmpdir(), 'pickleguard-bench-'));
  let rows;
  const auditRows = [];
  try {
    log(`writing pickles to ${dir}…`);
    const files = makePickles(workloads, dir);
    rows = measure(workloads, files, opts);
    // The auditor's throughput: every workload's pickle, read from disk and scanned in memory.
    for (const w of workloads) {
      const file = files.get(`${w.name}/${w.protocols[0]}`);
      log(`${w.name}: audit throughput…`);
      const a = node(['audit', 'audit', JSON.stringify({ workload: w.name, path: file.path, reps: opts.quick ? 3 : 7 })]);
      auditRows.push({ workload: w.name, ...a });
    }
    if (opts.only === null) {
      // Issue 5's figure: a bytes-dominated checkpoint of 1 GB (64 MB with --quick), read and scanned.
      const sizeMB = opts.quick ? 64 : 1024;
      const path = join(dir, 'checkpoint.pkl');
      log(`checkpoint (${sizeMB} MB): audit throughput…`);
      writeCheckpoint(path, sizeMB);
      const a = node(['audit', 'audit', JSON.stringify({ workload: `checkpoint`, path, reps: opts.quick ? 3 : 5 })]);
      auditRows.push({ workload: 'checkpoint', ...a });
      rmSync(path, { force: true });
    }
  } finally {
    if (opts.keep) log(`kept pickles in ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }

  const result = {
    node: process.version,
    python: info,
    platform: `${process.platform}-${process.arch}`,
    cpus: cpus().length,
    quick: opts.quick,
    rounds: opts.rounds ?? (opts.quick ? 1 : DEFAULT_ROUNDS),
    method: opts.forcedGc ? 'forced-gc' : 'steady',
    loadavg: { start: startLoad, end: loadavg() },
    module,
    elapsedS: (Date.now() - started) / 1000,
    rows,
    interpreters: Object.fromEntries(workloads.filter((w) => w.interpreter).map((w) => [w.name, w.interpreter])),
    skipped,
    audit: auditRows,
  };
  if (opts.json) process.stdout.write(JSON.stringify(result, null, 2) + '\n');
  else process.stdout.write(report(result, workloads) + `\n(bench took ${result.elapsedS.toFixed(0)} s)\n`);
  const errored = rows.some((r) => r.ours.error || r.cpython.error || r.check || r.mem?.oursError || r.mem?.cpythonError);
  process.exitCode = errored ? 1 : 0;
}

main().catch((e) => fail(e?.stack ?? String(e)));

/**
 * Big runs on the built CLI: 10,000 generated files (counts, exit status, throughput and peak RSS,
 * on this thread and on workers), the progress bar on a pseudo-terminal (script(1)) and never on a
 * pipe, and the bar's renderer as a function.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eta, Progress, progressLine } from '../src/cli/progress.js';
import { bundleCli } from './helpers/cli-bundle.js';

const ROOT = join(import.meta.dirname, '..');
const OUT_DIR = join(ROOT, 'dist', `.cli-progress-test-${process.pid}`);
const CLI = join(OUT_DIR, 'cli.js');
const work = mkdtempSync(join(tmpdir(), 'pickleguard-big-'));
const BIG = join(work, 'big');
const FILES = 10_000;
const UNSAFE = 10;
const HAVE_SCRIPT = spawnSync('script', ['--version'], { encoding: 'utf8' }).status === 0;
const HAVE_PYTHON = spawnSync('python3', ['-c', 'import resource'], { encoding: 'utf8' }).status === 0;

/** 10,000 small pickles in 100 directories: {'a': i % 256, 'b': [1, 2]} at protocol 2, and 10 that call os.system. */
function generate(): void {
  for (let d = 0; d < 100; d++) mkdirSync(join(BIG, `d${d}`), { recursive: true });
  for (let i = 0; i < FILES; i++) {
    const evil = i % (FILES / UNSAFE) === 7;
    const text = evil ? "cos\nsystem\n(S'id'\ntR." : `\x80\x02}q\x00(X\x01\x00\x00\x00aq\x01K${String.fromCharCode(i % 256)}X\x01\x00\x00\x00bq\x02]q\x03(K\x01K\x02eu.`;
    writeFileSync(join(BIG, `d${i % 100}`, `f${i}.pkl`), Buffer.from(text, 'latin1'));
  }
}

beforeAll(async () => {
  await bundleCli(OUT_DIR);
  generate();
}, 120_000);
afterAll(() => {
  rmSync(OUT_DIR, { recursive: true, force: true });
  rmSync(work, { recursive: true, force: true });
});

/** Runs the CLI under python3, which reports the wall time and the children's peak RSS (KiB on Linux). */
function measured(args: string[]): { status: number; stdout: string; stderr: string; seconds: number; rssMB: number } {
  const py = `import json,resource,subprocess,sys,time
t=time.monotonic(); r=subprocess.run(sys.argv[1:],capture_output=True,text=True); dt=time.monotonic()-t
print(json.dumps({"status":r.returncode,"stdout":r.stdout,"stderr":r.stderr,"seconds":dt,"rssMB":resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss/1024}))`;
  const r = spawnSync('python3', ['-c', py, process.execPath, CLI, ...args], { encoding: 'utf8', maxBuffer: 1 << 28 });
  return JSON.parse(r.stdout) as ReturnType<typeof measured>;
}

describe('a run of 10,000 files', () => {
  it.skipIf(!HAVE_PYTHON)('counts every file, exits 1 for the unsafe ones, on this thread and on workers alike', () => {
    const summary = `10,000 files: ${(FILES - UNSAFE).toLocaleString('en-US')} safe, ${UNSAFE} unsafe, 0 malformed (policy default)\n`;
    const runs = [['--jobs', '1'], ['--jobs', '2'], []].map((jobs) => ({ jobs: jobs.join(' ') || 'default', ...measured(['audit', '-q', ...jobs, BIG]) }));
    for (const r of runs) {
      expect(r.status, r.jobs).toBe(1);
      expect(r.stderr, r.jobs).toBe('');
      const lines = r.stdout.split('\n');
      expect(lines.filter((l) => l.startsWith('UNSAFE ')), r.jobs).toHaveLength(UNSAFE);
      expect(r.stdout.endsWith(summary), r.jobs).toBe(true);
      // Reports are let go once printed: the peak stays far from what 10,000 kept reports would take.
      expect(r.rssMB, r.jobs).toBeLessThan(400);
      console.log(`audit -q ${r.jobs} (10,000 files): ${Math.round(FILES / r.seconds).toLocaleString('en-US')} files/s, ${r.seconds.toFixed(2)} s, peak RSS ${Math.round(r.rssMB)} MB`);
    }
    expect(runs[1]!.stdout).toBe(runs[0]!.stdout);
    // jsonl: one line per file, in walk order whatever the workers' order.
    const jsonl = measured(['audit', '--format', 'jsonl', '--jobs', '2', BIG]);
    expect(jsonl.stdout.trim().split('\n')).toHaveLength(FILES);
  }, 120_000);
});

describe('the progress bar', () => {
  it.skipIf(!HAVE_SCRIPT)('is drawn on a terminal and cleared before output lines and at the end', () => {
    const typescript = join(work, 'typescript');
    const command = `${process.execPath} ${CLI} audit --jobs 2 ${BIG} > ${join(work, 'out.txt')}`;
    spawnSync('script', ['-q', '-e', '-c', command, typescript], { encoding: 'utf8', env: { ...process.env, COLUMNS: '100' } });
    const tty = spawnSync('cat', [typescript], { encoding: 'latin1' }).stdout;
    const bars = tty.split('\r\x1b[K').filter((s) => s.startsWith('['));
    expect(bars.length).toBeGreaterThan(0);
    for (const b of bars) expect(b).toMatch(/^\[[=> ]+\] [\d,]+\/10,000 files {2}\d+\.\d\/\d+\.\d MB {2}[\d,]+ files\/s {2}ETA (-:--|(\d+:)?\d+:\d\d)$/);
    expect(bars.at(-1)).toMatch(/10,000\/10,000 files/);
    // The last thing on the terminal before the notes is a cleared line, not a stale bar.
    expect(tty).not.toMatch(/files\/s {2}ETA [-:\d]+(\r\n|$)/);
  }, 60_000);

  it('is not drawn on a pipe, nor with --quiet on a terminal', () => {
    const r = spawnSync(process.execPath, [CLI, 'audit', '-q', join(BIG, 'd1')], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    if (!HAVE_SCRIPT) return;
    const typescript = join(work, 'quiet');
    spawnSync('script', ['-q', '-e', '-c', `${process.execPath} ${CLI} audit -q ${join(BIG, 'd1')} > /dev/null`, typescript], { encoding: 'utf8' });
    expect(spawnSync('cat', [typescript], { encoding: 'latin1' }).stdout).not.toContain('files/s');
  });

  it('renders counts, bytes, rate and time left within the width it is given', () => {
    const s = { done: 2_500, total: 10_000, bytesDone: 25e6, bytesTotal: 100e6, elapsedMs: 10_000 };
    expect(progressLine(s, 100)).toBe(`[${'='.repeat(10)}>${' '.repeat(29)}] 2,500/10,000 files  25.0/100.0 MB  250 files/s  ETA 0:30`);
    for (let columns = 1; columns <= 120; columns++) expect(progressLine(s, columns).length).toBeLessThan(columns);
    expect(progressLine({ ...s, done: 10_000, bytesDone: 100e6 }, 100)).toMatch(/^\[={10,40}\] 10,000\/10,000 files {2}100\.0\/100\.0 MB {2}1,000 files\/s {2}ETA 0:00$/);
    expect(progressLine({ ...s, bytesDone: 3e9, bytesTotal: 12e9, elapsedMs: 4_000_000 }, 100)).toContain('3.00/12.00 GB');
    expect(progressLine({ ...s, elapsedMs: 4_000_000 }, 100)).toContain('ETA 3:20:00');
    // Time left: unknown at first; by files and bytes alike after.
    expect(eta({ ...s, elapsedMs: 100 })).toBeUndefined();
    expect(eta({ ...s, done: 0 })).toBeUndefined();
    expect(eta({ ...s, bytesDone: 75e6 })).toBeCloseTo(10_000, 6); // half done on average
  });

  it('redraws at most every 100 ms, and after each clear', () => {
    let now = 0;
    const out: string[] = [];
    const p = new Progress((t) => void out.push(t), 3, 30, 80, () => now);
    p.fileDone(10);
    p.update();
    p.fileDone(10);
    now = 50;
    p.update(); // too soon
    expect(out).toHaveLength(1);
    p.clear();
    p.update(); // cleared: drawn again
    expect(out).toHaveLength(3);
    p.fileDone(10);
    now = 60;
    p.update(); // the last file: drawn whatever the time
    expect(out.at(-1)).toMatch(/3\/3 files/);
    p.clear();
    p.clear(); // nothing shown: nothing to clear
    expect(out.filter((t) => t === '\r\x1b[K')).toHaveLength(2);
  });
});

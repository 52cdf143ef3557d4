/**
 * The inspector's load time and longest freeze on big files, in headless Chromium: a 100 MB and a
 * 1 GiB PyTorch checkpoint (torch 1.13 state dicts of float32 tensors), a 9 MB pickle of 200,000
 * dicts and a 200 MiB plain pickle, with the renderer processes' peak resident memory (Linux).
 * Slow and noisy on a shared machine, so it runs only with PICKLEGUARD_MEASURE=1 (set
 * PICKLEGUARD_MEASURE_RUNS for another count, PICKLEGUARD_MEASURE_PAGE to measure another build);
 * it prints one line per run and checks only that the page showed the verdict and the tree.
 *   PICKLEGUARD_MEASURE=1 npx vitest run test/inspector-measure.test.ts
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..');
const CHROMIUM = process.env.PICKLEGUARD_CHROMIUM ?? '/usr/bin/chromium';
/** Another build of the page to measure (an older one, to compare), else this tree's, built here. */
const OTHER = process.env.PICKLEGUARD_MEASURE_PAGE;
const PAGE = OTHER ?? join(ROOT, 'dist', 'inspector', 'index.html');
const WORK = join(tmpdir(), 'pickleguard-measure');
const RUNS = Number(process.env.PICKLEGUARD_MEASURE_RUNS ?? 3);
const wanted = process.env.PICKLEGUARD_MEASURE === '1';
if (!wanted) console.log('skipping the inspector measurements: set PICKLEGUARD_MEASURE=1 to run them');
else if (!existsSync(CHROMIUM)) console.log(`skipping the inspector measurements: no Chromium at ${CHROMIUM}`);

/** Writes a file once (kept in the temp folder between runs) with Debian's python3. */
function made(name: string, script: string): string {
  const path = join(WORK, name);
  if (!existsSync(path)) {
    mkdirSync(WORK, { recursive: true });
    execFileSync('/usr/bin/python3', ['-c', script, path], { stdio: 'inherit' });
  }
  return path;
}

/** A torch state dict of float32 tensors of 1024 × 1024 (4 MiB each) adding up to `mib`. */
const checkpoint = (mib: number) =>
  made(`state_dict_${mib}MiB.pt`, `import sys, torch\ntorch.manual_seed(0)\ntorch.save({f'layer{i}.weight': torch.randn(1024, 1024) for i in range(${mib} // 4)}, sys.argv[1])`);

/** A plain pickle of `mib` MiB: bytes objects of 1 MiB (what the page once held twice: its copy and the worker's). */
const plain = (mib: number) => made(`bytes_${mib}MiB.pkl`, `import sys, pickle, os\npickle.dump([os.urandom(1 << 20) for _ in range(${mib})], open(sys.argv[1], 'wb'), 4)`);

/** The resident memory of the renderer processes of the Chromium whose profile is `profile` (Linux /proc), in bytes. */
function rendererRss(profile: string): number {
  const procs = readdirSync('/proc').filter((d) => /^\d+$/.test(d)).flatMap((pid) => {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      return [{ pid, ppid: stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]!, cmd: readFileSync(`/proc/${pid}/cmdline`, 'utf8'), status: () => readFileSync(`/proc/${pid}/status`, 'utf8') }];
    } catch {
      return [];
    }
  });
  const ours = new Set(procs.filter((p) => p.cmd.includes(profile) && !p.cmd.includes('--type=')).map((p) => p.pid));
  // Descendants of the browser process (renderers hang under its zygote).
  for (let grew = true; grew; ) {
    grew = false;
    for (const p of procs) if (!ours.has(p.pid) && ours.has(p.ppid)) (ours.add(p.pid), (grew = true));
  }
  let rss = 0;
  for (const p of procs) {
    if (!ours.has(p.pid) || !p.cmd.includes('--type=renderer')) continue;
    try {
      rss += Number(/VmRSS:\s+(\d+) kB/.exec(p.status())?.[1] ?? 0) * 1024;
    } catch {
      // gone
    }
  }
  return rss;
}

const dicts = () => made('dicts_200k.pkl', "import sys, pickle\npickle.dump([{'id': i, 'name': f'user-{i:06d}', 'score': i * 0.5, 'ok': i % 3 == 0, 'tag': 'x'} for i in range(200000)], open(sys.argv[1], 'wb'), 4)");

describe.skipIf(!wanted || !existsSync(CHROMIUM))('the inspector on big files (measurements)', () => {
  it('prints the time to the verdict and to the tree, and the longest main-thread task', async () => {
    if (OTHER === undefined) execFileSync(process.execPath, [join(ROOT, 'src', 'inspector', 'build.mjs'), PAGE]);
    const files: [string, string, string[]][] = [
      ['100 MB checkpoint', checkpoint(100), ['pytorch-state-dict']],
      ['1 GiB checkpoint', checkpoint(1024), ['pytorch-state-dict']],
      ['200,000 dicts', dicts(), []],
      ['200 MiB plain pickle', plain(200), []],
    ];
    const profile = mkdtempSync(join(tmpdir(), 'pickleguard-chromium-'));
    const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'] });
    try {
      for (const [label, path, packs] of files) {
        for (let run = 0; run < RUNS; run++) {
          const page = await context.newPage();
          // Long tasks on the page's thread, and when the verdict and the tree first appear, from the file input's change.
          await page.addInitScript(() => {
            const w = window as unknown as { marks: Record<string, number>; tasks: number[] };
            w.marks = {};
            w.tasks = [];
            new PerformanceObserver((l) => l.getEntries().forEach((e) => w.tasks.push(e.duration))).observe({ type: 'longtask', buffered: true });
            document.addEventListener('change', (e) => ((e.target as HTMLElement).id === 'file' ? (w.marks.start = performance.now()) : 0), true);
            new MutationObserver(() => {
              const now = performance.now();
              if (w.marks.verdict === undefined && document.querySelector('[data-verdict]')) w.marks.verdict = now;
              if (w.marks.tree === undefined && document.querySelector('[data-tree] details, [data-tree] .leaf')) w.marks.tree = now;
            }).observe(document, { subtree: true, childList: true });
          });
          await page.goto(pathToFileURL(PAGE).href);
          for (const p of packs) await page.check(`[data-pack="${p}"]`);
          await page.evaluate(() => ((window as unknown as { tasks: number[] }).tasks.length = 0));
          // The page's main-thread busy time (CDP's TaskDuration), less noisy than wall time on a shared machine.
          const cdp = await context.newCDPSession(page);
          await cdp.send('Performance.enable');
          const busy = async () => ((await cdp.send('Performance.getMetrics')).metrics.find((x) => x.name === 'TaskDuration')?.value ?? 0);
          const busy0 = await busy();
          const idle = rendererRss(profile);
          let peak = idle;
          const sampler = setInterval(() => (peak = Math.max(peak, rendererRss(profile))), 100);
          await page.setInputFiles('input[type=file]#file', path);
          await page.waitForFunction(() => (window as unknown as { marks: Record<string, number> }).marks.tree !== undefined && !document.querySelector('#progress:not([hidden])'), null, { timeout: 600_000 });
          await page.waitForTimeout(300);
          const m = await page.evaluate(() => {
            const w = window as unknown as { marks: Record<string, number>; tasks: number[] };
            return { verdict: w.marks.verdict! - w.marks.start!, tree: w.marks.tree! - w.marks.start!, longest: Math.max(0, ...w.tasks), tasks: w.tasks.length };
          });
          const mainThread = (await busy()) - busy0;
          clearInterval(sampler);
          peak = Math.max(peak, rendererRss(profile));
          const mb = statSync(path).size / 1e6;
          console.log(`${label} (${mb.toFixed(1)} MB) run ${run + 1}: verdict ${(m.verdict / 1000).toFixed(2)} s, tree ${(m.tree / 1000).toFixed(2)} s, longest main-thread task ${m.longest.toFixed(0)} ms (${m.tasks} over 50 ms), main thread busy ${(mainThread * 1000).toFixed(0)} ms, renderer RSS peak ${(peak / 1e6).toFixed(0)} MB (before ${(idle / 1e6).toFixed(0)} MB)`);
          expect(await page.getAttribute('[data-verdict]', 'data-verdict')).toBe('safe');
          await page.close();
        }
      }
    } finally {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    }
  }, 1_800_000);
});

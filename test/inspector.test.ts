/**
 * The inspector page in a real browser: Debian's Chromium, driven by playwright-core, headless.
 * The page is opened from file:// and as `pickleguard inspect --no-open` serves it; each test checks
 * the stable hooks (data-verdict, data-finding, data-global, data-tree), that the page's CSP is
 * never violated and that it makes no request. Screenshots go to test-output/inspector/ (ignored).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleCli } from './helpers/cli-bundle.js';

const ROOT = join(import.meta.dirname, '..');
const CHROMIUM = process.env.PICKLEGUARD_CHROMIUM ?? '/usr/bin/chromium';
const PAGE = join(ROOT, 'dist', 'inspector', 'index.html');
const SHOTS = join(ROOT, 'test-output', 'inspector');
const OUT_DIR = join(ROOT, 'dist', `.cli-test-inspector-${process.pid}`);
const corpus = (p: string) => join(ROOT, 'corpus', p);

const available = existsSync(CHROMIUM);
if (!available) console.log(`skipping the inspector's browser tests: no Chromium at ${CHROMIUM} (apt-get install chromium)`);

describe.skipIf(!available)('the inspector page in Chromium', () => {
  let context: BrowserContext;
  let profile: string;
  let cli: string;
  const servers: ChildProcess[] = [];

  beforeAll(async () => {
    execFileSync(process.execPath, [join(ROOT, 'src', 'inspector', 'build.mjs'), PAGE]);
    cli = await bundleCli(OUT_DIR);
    mkdirSync(SHOTS, { recursive: true });
    profile = mkdtempSync(join(tmpdir(), 'pickleguard-chromium-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  });

  afterAll(async () => {
    await context?.close();
    for (const s of servers) s.kill();
    rmSync(OUT_DIR, { recursive: true, force: true });
    if (profile) rmSync(profile, { recursive: true, force: true });
  });

  /** A fresh page that records CSP violations, page errors and every request but the page's own. */
  async function open(url = pathToFileURL(PAGE).href): Promise<{ page: Page; problems: string[]; requests: string[] }> {
    const page = await context.newPage();
    const problems: string[] = [];
    const requests: string[] = [];
    await page.addInitScript(() => {
      document.addEventListener('securitypolicyviolation', (e) => console.error(`CSP violation: ${e.violatedDirective} ${e.blockedURI}`));
    });
    page.on('console', (m) => {
      if (m.type() === 'error' || /Content Security Policy|CSP/.test(m.text())) problems.push(m.text());
    });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('request', (r) => {
      if (r.url() !== url && !r.url().startsWith('blob:')) requests.push(r.url());
    });
    await page.goto(url);
    return { page, problems, requests };
  }

  async function choose(page: Page, file: string | { name: string; buffer: Buffer }): Promise<void> {
    const before = await page.textContent('#status');
    await page.setInputFiles('input[type=file]#file', typeof file === 'string' ? file : { ...file, mimeType: 'application/octet-stream' });
    await page.waitForFunction((b) => document.querySelector('#status')?.textContent !== b && !document.querySelector('#progress:not([hidden])') && document.querySelector('[data-tree]'), before);
  }

  const verdict = (page: Page) => page.getAttribute('[data-verdict]', 'data-verdict');
  const findings = (page: Page) => page.$$eval('[data-finding]', (els) => els.map((e) => (e as HTMLElement).dataset.finding));
  const globals = (page: Page) => page.$$eval('[data-global]', (els) => Object.fromEntries(els.map((e) => [(e as HTMLElement).dataset.global, e.className])));
  const tree = (page: Page) => page.textContent('[data-tree]');

  it('a safe stdlib pickle: SAFE, its globals allowed, its value in the tree; keyboard opens nodes', async () => {
    const { page, problems, requests } = await open();
    expect(await page.getAttribute('body', 'data-worker')).toBe('worker');
    await choose(page, corpus('valid/record_config.p4.c.pkl'));
    expect(await verdict(page)).toBe('safe');
    expect(await findings(page)).toEqual([]);
    expect(await globals(page)).toEqual({ 'builtins.bytearray': 'allowed', 'builtins.complex': 'allowed' });
    const text = await tree(page);
    expect(text).toContain("'version'");
    expect(text).toContain('frozenset');
    // Keyboard: focus a closed node's summary, Enter opens it.
    const paths = page.locator('[data-tree] details details > summary').first();
    await paths.focus();
    await page.keyboard.press('Enter');
    expect(await page.locator('[data-tree] details details').first().evaluate((d) => (d as HTMLDetailsElement).open)).toBe(true);
    await page.screenshot({ path: join(SHOTS, 'safe.png'), fullPage: true });
    await page.emulateMedia({ colorScheme: 'dark' });
    expect(await page.evaluate(() => getComputedStyle(document.body).backgroundColor)).toBe('rgb(20, 22, 26)');
    await page.screenshot({ path: join(SHOTS, 'safe-dark.png'), fullPage: true });
    expect(problems).toEqual([]);
    expect(requests).toEqual([]);
    await page.close();
  });

  it('a hostile pickle: UNSAFE, the dangerous global denied, a finding that shows its opcode', async () => {
    const { page, problems, requests } = await open();
    await choose(page, corpus('malicious/nested_pickle.pkl'));
    expect(await verdict(page)).toBe('unsafe');
    expect(await findings(page)).toContain('PG001');
    expect((await globals(page))['_pickle.loads']).toBe('denied');
    expect(await page.textContent('[data-mode]')).toContain('Inspection mode');
    await page.locator('[data-finding="PG001"] button').click();
    expect(await page.textContent('.dis .line.sel')).toMatch(/^\s*18: /);
    await page.screenshot({ path: join(SHOTS, 'hostile.png'), fullPage: true });
    expect(problems).toEqual([]);
    expect(requests).toEqual([]);
    await page.close();
  });

  it('a PyTorch checkpoint: UNSAFE by default, SAFE with pytorch-state-dict ticked, tensors summarised and plotted', async () => {
    const { page, problems, requests } = await open();
    await page.setViewportSize({ width: 1100, height: 900 });
    await choose(page, corpus('torch/state_dict.pt'));
    expect(await verdict(page)).toBe('unsafe');
    expect(await findings(page)).toContain('PG002');
    expect((await globals(page))['torch._utils._rebuild_tensor_v2']).toBe('refused');
    expect(await page.textContent('[data-global="torch._utils._rebuild_tensor_v2"]')).toContain('pytorch-state-dict');
    await page.check('[data-pack="pytorch-state-dict"]');
    await page.waitForFunction(() => document.querySelector('[data-verdict]')?.getAttribute('data-verdict') === 'safe');
    await page.waitForSelector('[data-mode="policy"]');
    expect((await globals(page))['torch._utils._rebuild_tensor_v2']).toBe('allowed');
    expect(await tree(page)).toContain('torch.Tensor');
    await page.locator('[data-tree] details details > summary').first().click();
    await page.waitForSelector('[data-tree] [data-array] canvas');
    expect(await page.textContent('[data-tree] [data-array]')).toMatch(/dtype torch\.float32, shape \(\d+, \d+\)[\s\S]*min .* max .* mean/);
    // A tensor node links to the opcode that built it (REDUCE of _rebuild_tensor_v2).
    const at = await page.locator('[data-tree] details details > summary [data-built-at]').first().getAttribute('data-built-at');
    expect(Number(at)).toBeGreaterThan(0);
    await page.locator('[data-tree] details details > summary [data-built-at]').first().click();
    expect(await page.textContent('.dis .line.sel')).toMatch(new RegExp(`^\\s*${at}: R\\s+REDUCE`));
    await page.screenshot({ path: join(SHOTS, 'checkpoint.png'), fullPage: true });
    expect(problems).toEqual([]);
    expect(requests).toEqual([]);
    await page.close();
  });

  it('a numpy array: UNSAFE by default, SAFE with the numpy pack; dtype, shape and values shown', async () => {
    const { page, problems, requests } = await open();
    await choose(page, corpus('numpy/array_f8.p4.pkl'));
    expect(await verdict(page)).toBe('unsafe');
    expect(Object.keys(await globals(page))).toContain('numpy._core.multiarray._reconstruct');
    await page.check('[data-pack="numpy"]');
    await page.waitForFunction(() => document.querySelector('[data-verdict]')?.getAttribute('data-verdict') === 'safe');
    await page.waitForSelector('[data-tree] [data-array]');
    expect(await page.textContent('[data-tree] [data-array]')).toContain('dtype <f8, shape (5,)');
    await page.uncheck('[data-pack="numpy"]');
    await page.waitForFunction(() => document.querySelector('[data-verdict]')?.getAttribute('data-verdict') === 'unsafe');
    // A pack drafted from the file (policy infer's code) allows it.
    await page.click('text=draft a pack from this file');
    expect(JSON.parse((await page.textContent('pre.draft'))!).entries.map((e: { qualname: string }) => e.qualname)).toContain('_reconstruct');
    await page.click('text=judge with this pack');
    await page.waitForFunction(() => document.querySelector('[data-verdict]')?.getAttribute('data-verdict') === 'safe');
    // Exports: the value as convert prints it, the audit as SARIF.
    const [value] = await Promise.all([page.waitForEvent('download'), page.click('text=value as JSON (convert)')]);
    expect(JSON.parse(readFileSync((await value.path())!, 'utf8'))).toMatchObject({ $object: 'numpy._core.multiarray._reconstruct' });
    const [sarif] = await Promise.all([page.waitForEvent('download'), page.click('text=audit as SARIF')]);
    expect(JSON.parse(readFileSync((await sarif.path())!, 'utf8'))).toMatchObject({ version: '2.1.0' });
    expect(problems).toEqual([]);
    expect(requests).toEqual([]);
    await page.close();
  });

  it('a file with two pickles shows each; pasted hex reads the same as the file', async () => {
    const { page, problems, requests } = await open();
    const two = Buffer.concat([readFileSync(corpus('valid/record_config.p4.c.pkl')), readFileSync(corpus('malicious/nested_pickle.pkl'))]);
    await choose(page, { name: 'two.pkl', buffer: two });
    expect(await verdict(page)).toBe('unsafe');
    expect(await findings(page)).toEqual(expect.arrayContaining(['PG001', 'PG008']));
    const labels = await page.$$eval('[data-tree] > details > summary .k', (els) => els.map((e) => e.textContent));
    expect(labels).toEqual(['pickle 1', 'pickle 2']);
    // Pasted base64 opens, and so does a file dropped on the page.
    await page.fill('#paste', readFileSync(corpus('valid/record_config.p4.c.pkl')).toString('base64'));
    await page.click('#paste-go');
    await page.waitForFunction(() => document.querySelector('[data-verdict]')?.textContent?.includes('pasted'));
    expect(await verdict(page)).toBe('safe');
    const hostile = readFileSync(corpus('malicious/nested_pickle.pkl'));
    await page.evaluate((bytes) => {
      const data = new DataTransfer();
      data.items.add(new File([new Uint8Array(bytes)], 'dropped.pkl'));
      document.body.dispatchEvent(new DragEvent('drop', { dataTransfer: data, bubbles: true, cancelable: true }));
    }, [...hostile]);
    await page.waitForFunction(() => document.querySelector('[data-verdict]')?.textContent?.includes('dropped.pkl'));
    expect(await findings(page)).toEqual(['PG001']);
    // A pack loaded from a JSON file is judged with, as the shipped ones are.
    await page.setInputFiles('#pack-file', join(ROOT, 'policies', 'python-stdlib.json'));
    await page.waitForSelector('[data-pack="custom:0"]:checked');
    await page.fill('#paste', readFileSync(corpus('valid/record_config.p4.c.pkl')).toString('hex'));
    await page.click('#paste-go');
    await page.waitForFunction(() => document.querySelector('[data-verdict]')?.getAttribute('data-verdict') === 'safe');
    expect(problems).toEqual([]);
    expect(requests).toEqual([]);
    await page.close();
  });

  it('shared references and cycles link to the first occurrence', async () => {
    const { page, problems } = await open();
    // x = [1, 2]; l = [x, x]; l.append(l); pickle.dumps(l, 2)
    await page.fill('#paste', '80025d7100285d7101284b014b026568016800652e');
    await page.click('#paste-go');
    await page.waitForSelector('[data-tree] a.ref');
    const refs = await page.$$eval('[data-tree] a.ref', (els) => els.map((e) => e.textContent));
    expect(refs).toEqual(['↪ the same object as value[0]', '↪ the same object as value']);
    await page.locator('[data-tree] a.ref').first().click();
    expect(await page.evaluate(() => document.activeElement?.closest('details')?.dataset.path)).toBe('value[0]');
    expect(problems).toEqual([]);
    await page.close();
  });

  it('fits a 360 px wide screen', async () => {
    const { page, problems } = await open();
    await page.setViewportSize({ width: 360, height: 740 });
    await choose(page, corpus('torch/state_dict.pt'));
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
    await page.screenshot({ path: join(SHOTS, 'narrow.png'), fullPage: true });
    expect(problems).toEqual([]);
    await page.close();
  });

  it('pickleguard inspect --no-open serves the page with the files preloaded, and the page fetches nothing', async () => {
    const child = spawn(process.execPath, [cli, 'inspect', '--no-open', corpus('malicious/nested_pickle.pkl')], { stdio: ['ignore', 'pipe', 'pipe'] });
    servers.push(child);
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /http:\/\/127\.0\.0\.1:\d+\/[0-9a-f]+\//.exec(out);
        if (m) resolve(m[0]);
      });
      child.once('exit', (code) => reject(new Error(`inspect exited with ${code}: ${out}`)));
    });
    const { page, problems, requests } = await open(url);
    await page.waitForSelector('[data-verdict]');
    expect(await verdict(page)).toBe('unsafe');
    expect(await findings(page)).toContain('PG001');
    expect(Object.keys(await globals(page))).toEqual(['_pickle.loads']);
    // Another path on the same server is refused.
    expect((await fetch(new URL('/', url))).status).toBe(404);
    expect(problems).toEqual([]);
    expect(requests).toEqual([]);
    await page.close();
    child.kill('SIGTERM');
  });
});

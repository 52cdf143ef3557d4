/**
 * The inspector page in a real browser: Debian's Chromium, driven by playwright-core, headless.
 * The page is opened from file:// and as `pickleguard inspect --no-open` serves it; each test checks
 * the stable hooks (data-verdict, data-finding, data-global, data-tree), that the page's CSP is
 * never violated and that it makes no request. Screenshots go to test-output/inspector/ (ignored).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleCli } from './helpers/cli-bundle.js';
import { interpreterWith, runPython } from './helpers/producers.js';

const ROOT = join(import.meta.dirname, '..');
const CHROMIUM = process.env.PICKLEGUARD_CHROMIUM ?? '/usr/bin/chromium';
const PAGE = join(ROOT, 'dist', 'inspector', 'index.html');
const SHOTS = join(ROOT, 'test-output', 'inspector');
const OUT_DIR = join(ROOT, 'dist', `.cli-test-inspector-${process.pid}`);
const corpus = (p: string) => join(ROOT, 'corpus', p);

const available = existsSync(CHROMIUM);

/** A DataFrame of 1,000,000 rows (n = the row number, f = 2n) pickled by Debian's pandas, or null without it. */
const million = ((): Buffer | null => {
  if (!available) return null;
  try {
    return execFileSync('/usr/bin/python3', ['-c', "import sys,pickle,numpy as np,pandas as pd; n=np.arange(10**6); sys.stdout.buffer.write(pickle.dumps(pd.DataFrame({'n': n, 'f': n*2.0}), 4))"], { maxBuffer: 64 << 20, stdio: ['ignore', 'pipe', 'ignore'] });
  } catch {
    console.log("skipping the inspector's million-row test: /usr/bin/python3 has no pandas");
    return null;
  }
})();
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
  async function open(url = pathToFileURL(PAGE).href, init?: () => void): Promise<{ page: Page; problems: string[]; requests: string[] }> {
    const page = await context.newPage();
    if (init) await page.addInitScript(init);
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
    // A plain pickle's value is loaded in the worker; the page only draws what it is told.
    expect(await page.getAttribute('#value', 'data-loaded-in')).toBe('worker');
    // Keyboard: focus a closed node's summary, Enter opens it.
    const paths = page.locator('[data-tree] details details > summary').first();
    await paths.focus();
    await page.keyboard.press('Enter');
    expect(await page.locator('[data-tree] details details').first().evaluate((d) => (d as HTMLDetailsElement).open)).toBe(true);
    // Arrow keys: ← closes the focused node, ↑ goes to the node above, → opens it; in the disassembly ↓ selects opcodes.
    const focusedPath = () => page.evaluate(() => document.activeElement?.closest('details')?.dataset.path);
    const first = await focusedPath();
    await page.keyboard.press('ArrowLeft');
    expect(await page.locator('[data-tree] details details').first().evaluate((d) => (d as HTMLDetailsElement).open)).toBe(false);
    await page.keyboard.press('ArrowDown');
    expect(await focusedPath()).not.toBe(first);
    await page.keyboard.press('ArrowUp');
    await page.keyboard.press('ArrowUp');
    expect(await focusedPath()).toBe('value');
    await page.keyboard.press('ArrowLeft');
    expect(await page.locator('[data-tree] > details').evaluate((d) => (d as HTMLDetailsElement).open)).toBe(false);
    await page.keyboard.press('ArrowRight');
    expect(await page.locator('[data-tree] > details').evaluate((d) => (d as HTMLDetailsElement).open)).toBe(true);
    await page.focus('.dis');
    await page.keyboard.press('ArrowDown');
    await page.waitForSelector('.dis .line.sel');
    await page.keyboard.press('ArrowDown');
    await page.waitForFunction(() => /^\s*2: /.test(document.querySelector('.dis .line.sel')?.textContent ?? ''));
    // The hex view follows (its rows are asked for on their own).
    await page.waitForFunction(() => document.querySelector('.hex .byte.sel')?.textContent === '95');
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
    // A checkpoint's tensors are views of the file, which the worker holds: loaded there too.
    expect(await page.getAttribute('#value', 'data-loaded-in')).toBe('worker');
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

  /** The texts of a table's header names, header dtypes and first body rows. */
  const tableOf = (page: Page, sel: string) =>
    page.$eval(sel, (t) => ({
      names: Array.from(t.querySelectorAll('thead th .name')).map((e) => e.textContent),
      dtypes: Array.from(t.querySelectorAll('thead th .dtype')).map((e) => e.textContent),
      rows: Array.from(t.querySelectorAll('tbody tr')).map((r) => Array.from(r.children).map((c) => c.textContent)),
    }));

  it('a pandas DataFrame (pandas 1.5.3) is a table under the pandas pack: columns, dtypes, values as pandas prints them', async () => {
    const { page, problems, requests } = await open();
    await page.setViewportSize({ width: 1200, height: 900 });
    await choose(page, corpus('realworld/pandas/1.5.3/mixed.p4.pkl'));
    expect(await verdict(page)).toBe('unsafe');
    await page.check('[data-pack="pandas"]');
    await page.waitForFunction(() => document.querySelector('[data-verdict]')?.getAttribute('data-verdict') === 'safe');
    await page.waitForSelector('[data-mode="policy"] ~ [data-tree] table[data-dataframe][data-first-row]');
    expect(await page.textContent('[data-tree] > details > summary')).toContain('pandas.DataFrame 6 rows × 15 columns');
    const t = await tableOf(page, '[data-tree] table[data-dataframe="DataFrame"]');
    expect(t.names).toEqual(['', 'i8', 'f8', 'obj', 'b', 'i4', 'f8b', 'u1', 'dt', 'td', 'cat', 'Int64', 'boolean', 'string', 'tz', 'period']);
    expect(t.dtypes).toEqual(['int64', 'int64', 'float64', 'object', 'bool', 'int32', 'float64', 'uint8', 'datetime64[ns]', 'timedelta64[ns]', 'category', 'Int64', 'boolean', 'string', 'datetime64[ns, UTC]', 'period[M]']);
    // As pandas prints each value (python3 -c 'print(pd.read_pickle(...))'; floats by repr, not by column format).
    expect(t.rows.map((r) => r.join('|'))).toEqual([
      '0|-2|0.5|a|True|0|0.0|0|2024-01-01 00:00:00|1 days 00:00:00|x|1|True|a|2024-01-01 00:00:00+00:00|2024-01',
      '1|-1|-1.25|héllo|False|1|0.2|1|2024-02-29 12:00:00|-1 days +22:00:00|y|<NA>|<NA>|<NA>|2024-01-01 00:00:00+00:00|2024-02',
      '2|0|NaN|None|True|2|0.4|2|NaT|NaT|x|3|False|c|2024-01-01 00:00:00+00:00|2024-03',
      '3|1|3.0|d|True|3|0.6000000000000001|3|1970-01-01 00:00:00|0 days 00:00:00|NaN|-4|True|d|2024-01-01 00:00:00+00:00|2024-04',
      '4|2|1e+300||False|4|0.8|4|2262-04-11 00:00:00|0 days 00:00:00.000003|z|5|<NA>|e|2024-01-01 00:00:00+00:00|2024-05',
      '5|3|-0.0|z|False|5|1.0|5|1677-09-22 00:00:00|1000 days 00:00:00|y|<NA>|False||2024-01-01 00:00:00+00:00|2024-06',
    ]);
    await page.screenshot({ path: join(SHOTS, 'dataframe.png'), fullPage: true });
    // Index kinds: a MultiIndex is a column per level, a DatetimeIndex of midnights prints dates.
    await choose(page, corpus('realworld/pandas/1.5.3/multi_index.p4.pkl'));
    await page.waitForSelector('[data-tree] table[data-dataframe][data-first-row]');
    expect(await tableOf(page, '[data-tree] table[data-dataframe]')).toMatchObject({ names: ['k', 'n', 'v'], rows: [['a', '1', '1'], ['a', '2', '2'], ['b', '1', '3'], ['b', '2', '4']] });
    await choose(page, corpus('realworld/pandas/1.5.3/datetime_index.p4.pkl'));
    await page.waitForSelector('[data-tree] table[data-dataframe][data-first-row]');
    expect(await tableOf(page, '[data-tree] table[data-dataframe]')).toMatchObject({ names: ['day', 'v'], rows: [['2024-01-01', '1.0'], ['2024-01-02', '2.0'], ['2024-01-03', '3.0']] });
    await choose(page, corpus('realworld/pandas/1.5.3/series_categorical.p4.pkl'));
    await page.waitForSelector('[data-tree] table[data-dataframe="Series"][data-first-row]');
    expect(await tableOf(page, '[data-tree] table[data-dataframe]')).toMatchObject({ dtypes: ['int64', 'category'], rows: [['0', 'lo'], ['1', 'hi'], ['2', 'lo']] });
    // pandas' own compressed file (to_pickle's gzip) opens too.
    await choose(page, corpus('realworld/pandas/1.5.3/to_pickle.pkl.gz'));
    await page.waitForSelector('[data-tree] table[data-dataframe="DataFrame"][data-first-row]');
    expect((await tableOf(page, '[data-tree] table[data-dataframe]')).rows[1]![2]).toBe('-1.25');
    expect(problems).toEqual([]);
    expect(requests).toEqual([]);
    await page.close();
  });

  it.skipIf(!million)('a frame of a million rows is paged', async () => {
    const { page, problems } = await open();
    await page.check('[data-pack="pandas"]');
    await choose(page, { name: 'million.pkl', buffer: million! });
    await page.waitForSelector('[data-tree] table[data-dataframe][data-first-row]');
    expect(await page.getAttribute('[data-tree] table[data-dataframe]', 'data-rows')).toBe('1000000');
    expect((await tableOf(page, '[data-tree] table[data-dataframe]')).rows.length).toBe(50);
    await page.waitForSelector('[data-tree] table[data-dataframe][data-first-row="0"]');
    await page.click('[data-tree] button[title="last rows"]');
    await page.waitForSelector('[data-tree] table[data-dataframe][data-first-row="999950"]');
    const last = await tableOf(page, '[data-tree] table[data-dataframe]');
    expect(last.rows.at(-1)).toEqual(['999999', '999999', '1999998.0']);
    await page.fill('[data-tree] input.jump', '500001');
    await page.press('[data-tree] input.jump', 'Enter');
    await page.waitForSelector('[data-tree] table[data-dataframe][data-first-row="500000"]');
    expect((await tableOf(page, '[data-tree] table[data-dataframe]')).rows[0]).toEqual(['500000', '500000', '1000000.0']);
    expect(await page.textContent('[data-tree] .pager .where')).toBe('rows 500,001–500,050 of 1,000,000');
    expect(problems).toEqual([]);
    await page.close();
  });

  it('structured arrays (a pickle and an .npy) are tables of their fields, numeric fields plotted', async () => {
    const { page, problems } = await open();
    await page.check('[data-pack="numpy"]');
    await choose(page, corpus('numpy/structured.p4.pkl'));
    await page.waitForSelector('[data-tree] table[data-dataframe="structured array"][data-first-row]');
    expect(await tableOf(page, '[data-tree] table[data-dataframe]')).toEqual({
      names: ['', 'a', 'b', 'c', 'd'],
      dtypes: ['index', '<i4', '>f8(2)', '|S3', '|b1'],
      rows: [['0', '1', '[2.5, -1.0]', "b'xy'", 'True'], ['1', '-7', '[0.0, 1e+300]', "b''", 'False']],
    });
    expect(await page.$$eval('[data-tree] [data-field]', (els) => els.map((e) => (e as HTMLElement).dataset.field))).toEqual(['a', 'd']);
    // An .npy of a structured dtype (no pickle in it): shown all the same.
    await choose(page, { name: 'points.npy', buffer: structuredNpy() });
    await page.waitForSelector('[data-tree] table[data-dataframe="structured array"][data-first-row]');
    expect(await tableOf(page, '[data-tree] table[data-dataframe]')).toEqual({
      names: ['', 'id', 'x', 'name', 'when'],
      dtypes: ['index', '<i4', '<f8', '<U3', '<M8[s]'],
      rows: [['0', '0', '0.5', 'p0', '1970-01-01T00:00:00'], ['1', '1', '1.5', 'p1', '1970-01-01T00:01:00'], ['2', '2', '2.5', 'p2', '1970-01-01T00:02:00']],
    });
    expect(await page.$$eval('[data-tree] [data-field] canvas', (els) => els.length)).toBe(2);
    expect(await page.textContent('[data-tree] [data-field="x"]')).toContain('min 0.50000  max 2.5000  mean 1.5000');
    expect(problems).toEqual([]);
    await page.close();
  });

  it('the page holds no copy of the file: the worker has it, and the byte views page through it', async () => {
    const { page, problems, requests } = await open();
    const cdp = await context.newCDPSession(page);
    // pickle.dumps([bytes(48 << 20), list(range(3000))], 4): a big argument and thousands of opcodes.
    // (A file on disk: a picked file is not in the page's memory, as bytes handed to setInputFiles would be.)
    const dir = mkdtempSync(join(tmpdir(), 'pickleguard-big-'));
    const big = join(dir, 'big.pkl');
    execFileSync('python3', ['-c', 'import pickle,sys; open(sys.argv[1], "wb").write(pickle.dumps([bytes(48 << 20), list(range(3000))], 4))', big]);
    await choose(page, big);
    rmSync(dir, { recursive: true });
    expect(await verdict(page)).toBe('safe');
    expect(await page.getAttribute('#value', 'data-loaded-in')).toBe('worker');
    // ArrayBuffers held by the page's own heap: well under the file's 48 MB (it held one more copy before).
    const { backingStorageSize } = (await cdp.send('Runtime.getHeapUsage')) as { backingStorageSize: number };
    expect(backingStorageSize).toBeLessThan(8 << 20);
    // The disassembly pages forward and back; the hex view too.
    const firstOffset = () => page.$eval('.dis .line', (e) => Number((e as HTMLElement).dataset.offset));
    await page.waitForSelector('.dis .line');
    expect(await firstOffset()).toBe(0);
    await page.click('.dis button.more:has-text("later lines")');
    await page.waitForFunction(() => Number((document.querySelector('.dis .line') as HTMLElement | null)?.dataset.offset) > 0);
    await page.click('.dis button.more:has-text("earlier lines")');
    await page.waitForFunction(() => (document.querySelector('.dis .line') as HTMLElement | null)?.dataset.offset === '0');
    await page.click('.hex button.more:has-text("later bytes")');
    await page.waitForFunction(() => document.querySelector('.hex .row .addr')?.textContent === '00000300');
    expect(await tree(page)).toContain('list');
    expect(problems).toEqual([]);
    expect(requests).toEqual([]);
    await page.close();
  });

  it('without a worker the page does the same work itself', async () => {
    // No Worker constructor: the page reads, judges and loads on its own thread.
    const { page: p, problems, requests } = await open(undefined, () => Object.defineProperty(window, 'Worker', { value: undefined }));
    expect(await p.getAttribute('body', 'data-worker')).toBe('page');
    await choose(p, corpus('malicious/nested_pickle.pkl'));
    expect(await verdict(p)).toBe('unsafe');
    expect(await p.getAttribute('#value', 'data-loaded-in')).toBe('page');
    await p.locator('[data-finding="PG001"] button').click();
    expect(await p.textContent('.dis .line.sel')).toMatch(/^\s*18: /);
    await p.check('[data-pack="numpy"]');
    await choose(p, corpus('numpy/array_f8.p4.pkl'));
    await p.waitForSelector('[data-tree] [data-array]');
    expect(await p.textContent('[data-tree] [data-array]')).toContain('dtype <f8, shape (5,)');
    expect(problems).toEqual([]);
    expect(requests).toEqual([]);
    await p.close();
  });

  it('fits a 360 px wide screen', async () => {
    const { page, problems } = await open();
    await page.setViewportSize({ width: 360, height: 740 });
    await choose(page, corpus('torch/state_dict.pt'));
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
    // The globals wrap rather than scroll sideways (long names, the pack entries to copy, allowed ones' chips and links).
    expect(await page.$eval('#globals .scroll', (e) => e.scrollWidth - e.clientWidth)).toBeLessThanOrEqual(0);
    await page.check('[data-pack="pandas"]');
    await page.waitForFunction(() => !document.querySelector('#progress:not([hidden])'));
    await choose(page, corpus('realworld/pandas/1.5.3/mixed.p4.pkl'));
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
    expect(await page.$eval('#globals .scroll', (e) => e.scrollWidth - e.clientWidth)).toBeLessThanOrEqual(0);
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.screenshot({ path: join(SHOTS, 'narrow-dataframe-dark.png'), fullPage: true });
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

/** An .npy of 3 records `(id <i4, x <f8, name <U3, when <M8[s])`, as numpy.save writes it. */
function structuredNpy(): Buffer {
  let header = "{'descr': [('id', '<i4'), ('x', '<f8'), ('name', '<U3'), ('when', '<M8[s]')], 'fortran_order': False, 'shape': (3,), }";
  header += ' '.repeat(63 - ((10 + header.length) % 64)) + '\n';
  const head = Buffer.concat([Buffer.from([0x93, ...Buffer.from('NUMPY'), 1, 0]), Buffer.from([header.length & 0xff, header.length >> 8]), Buffer.from(header, 'latin1')]);
  const rec = Buffer.alloc(3 * 32);
  for (let i = 0; i < 3; i++) {
    rec.writeInt32LE(i, 32 * i);
    rec.writeDoubleLE(i + 0.5, 32 * i + 4);
    rec.writeUInt32LE(0x70, 32 * i + 12);
    rec.writeUInt32LE(0x30 + i, 32 * i + 16);
    rec.writeBigInt64LE(BigInt(60 * i), 32 * i + 24);
  }
  return Buffer.concat([head, rec]);
}

describe("the page's disassembly", () => {
  it('clips a long argument to a line and keeps every offset; without the option the text is pickletools\' own', async () => {
    const { disassemblyLines } = await import('../src/inspector/bytes.js');
    const { disassemble } = await import('../src/audit/dis.js');
    const { audit } = await import('../src/audit/analyze.js');
    // pickle.dumps([b'\x01' * 100000, 'é' * 100000, bytearray(300)], 5)
    const pickle = new Uint8Array(execFileSync('python3', ['-c', "import pickle,sys; sys.stdout.buffer.write(pickle.dumps([b'\\x01' * 100000, '\\u00e9' * 100000, bytearray(300)], 5))"]));
    const { lines } = disassemblyLines(pickle, audit(pickle).pickles, -1, 400);
    expect(Math.max(...lines.map((l) => l.text.length))).toBeLessThan(1300);
    expect(lines.map((l) => l.text).join('\n')).toMatch(/BINBYTES8? +b'(\\x01){48}'… \(100,000 in all\)/);
    const full = execFileSync('python3', ['-c', 'import pickletools,sys; pickletools.dis(sys.stdin.buffer.read())'], { input: pickle }).toString();
    expect(disassemble(pickle).trim()).toBe(full.trim());
    const numbered = (ls: string[]) => ls.flatMap((l) => /^\s*(\d+):/.exec(l)?.[1] ?? []).map(Number);
    expect(numbered(lines.map((l) => l.text))).toEqual(numbered(full.split('\n')));
  });
});

describe("the page's file reader", () => {
  it('reads every byte of a Blob, from a byte stream into one buffer or from chunks, with progress up to the size', async () => {
    const { readBlob } = await import('../src/inspector/session.js');
    for (const size of [0, 1, 4095, 5 << 20, (9 << 20) + 7]) {
      const bytes = new Uint8Array(size).map((_, i) => (i * 7 + (i >> 12)) & 255);
      const blob = new Blob([bytes]);
      // The same bytes as a stream of uneven chunks that is not a byte stream (no BYOB reader).
      const chunked = { size, stream: () => new ReadableStream<Uint8Array>({ start(c) { for (let at = 0; at < size; at += 70_001) c.enqueue(bytes.slice(at, at + 70_001)); c.close(); } }) } as unknown as Blob;
      for (const b of [blob, chunked]) {
        const seen: number[] = [];
        const got = await readBlob(b, (loaded, total) => (expect(total).toBe(size), seen.push(loaded)));
        expect(got.length).toBe(size);
        expect(Buffer.from(got).equals(Buffer.from(bytes))).toBe(true);
        expect(seen.at(-1)).toBe(size);
        expect(seen).toEqual([...seen].sort((x, y) => x - y));
      }
    }
  });
});

const PANDAS_PY = '/usr/bin/python3';
const hasPandas = (() => {
  try {
    execFileSync(PANDAS_PY, ['-c', 'import pandas'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

describe.skipIf(!hasPandas)("the page's cells print as pandas and numpy print them (differential, against Debian's pandas 1.5.3; periods in inspector-periods.test.ts)", () => {
  it('timestamps, timedeltas, floats, and numpy datetime64/timedelta64', async () => {
    const { timestamp, timedelta, floatText, npTime } = await import('../src/inspector/frames.js');
    // A fixed pseudo-random sequence (LCG): whole days, seconds, microseconds and nanoseconds, near both ends of int64.
    let seed = 12345n;
    const next = () => (seed = (seed * 6364136223846793005n + 1442695040888963407n) & (2n ** 64n - 1n));
    const ns: bigint[] = [0n, -1n, 1n, 2n ** 63n - 1n, -(2n ** 63n) + 1n, 86_400_000_000_000n, -86_400_000_000_000n];
    for (let i = 0; i < 400; i++) {
      const r = BigInt.asIntN(64, next());
      const unit = [86_400_000_000_000n, 1_000_000_000n, 1000n, 1n][i % 4]!;
      ns.push((r / unit) * unit);
    }
    const floats: number[] = [0.5, -0.0, 1e300, 1e16, 9999999999999998, 1e-4, 0.0001234, 5e-324, 0.1 + 0.2];
    const f32: number[] = [];
    for (let i = 0; i < 300; i++) {
      const bits = Number(next() >> 32n);
      const d = new Float64Array(new BigUint64Array([next()]).buffer)[0]!;
      if (Number.isFinite(d)) floats.push(d);
      const f = new Float32Array(new Uint32Array([bits]).buffer)[0]!;
      if (Number.isFinite(f)) f32.push(f);
    }
    const script = `
import json, sys, numpy as np, pandas as pd
d = json.load(sys.stdin)
print(json.dumps({
  'ts': [str(pd.Timestamp(int(n))) for n in d['ns']],
  'td': [str(pd.Timedelta(int(n))) for n in d['ns']],
  'f64': [repr(float(x)) for x in d['floats']],
  'f32': [str(np.float32(float(x))) for x in d['f32']],
  'np': [str((np.datetime64 if k == 'M' else np.timedelta64)(int(v), f'{c}{u}' if c > 1 else u)) for k, v, u, c in d['np']],
}))`;
    // numpy's datetime64/timedelta64 in every unit, with and without a multiple, within numpy's year range.
    const units = ['Y', 'M', 'W', 'D', 'h', 'm', 's', 'ms', 'us', 'ns', 'ps', 'fs', 'as'];
    const np: [string, bigint, string, number][] = [];
    for (let i = 0; i < 520; i++) {
      const u = units[i % units.length]!;
      const big = ['ps', 'fs', 'as'].includes(u) ? 2n ** 40n : ['Y', 'M', 'W', 'D'].includes(u) ? 10n ** 5n : 10n ** 15n;
      np.push([i % 2 ? 'M' : 'm', BigInt.asIntN(64, next()) % big, u, i % 5 === 0 ? 10 : 1]);
    }
    // Floats as text (JSON has no -0); String(x) round-trips.
    const text = (x: number) => (Object.is(x, -0) ? '-0.0' : String(x));
    const input = JSON.stringify({ ns: ns.map(String), floats: floats.map(text), f32: f32.map(text), np: np.map(([k, v, u, c]) => [k, String(v), u, c]) });
    const py = JSON.parse(execFileSync(PANDAS_PY, ['-W', 'ignore', '-c', script], { input }).toString()) as Record<string, string[]>;
    // pd.Timestamp refuses the smallest int64 (NaT); both ends of the rest print.
    expect(ns.map((n) => timestamp(n))).toEqual(py.ts);
    expect(ns.map((n) => timedelta(n))).toEqual(py.td);
    expect(floats.map((x) => floatText(x))).toEqual(py.f64);
    expect(f32.map((x) => floatText(x, 32))).toEqual(py.f32);
    expect(np.map(([k, v, u, c]) => npTime(k as 'M' | 'm', v, u, c))).toEqual(py.np);
  });
});

/** The pandas versions of corpus/realworld/pandas, each with the interpreter that has it here (Debian's, or the trixie and sid roots). */
const PANDAS_VERSIONS = ['1.5.3', '2.2.3', '3.0.5'].map((v) => [v, interpreterWith('pandas', v)] as const);
for (const [v, exe] of PANDAS_VERSIONS) if (exe === undefined) console.log(`skipping the page's pandas ${v} tables: no interpreter here has pandas ${v}`);

describe("the page's pandas tables, every fixture of each pandas version (differential)", () => {
  it.each(PANDAS_VERSIONS.filter(([, exe]) => exe !== undefined))("cells and headers are what pandas %s prints for each value", async (version, exe) => {
    const { loadPandas } = await import('../src/containers/pandas-load.js');
    const { tableOf } = await import('../src/inspector/frames.js');
    const dir = corpus(`realworld/pandas/${version}`);
    const files = readdirSync(dir).filter((f) => /\.(pkl|pkl\.gz|pkl\.zip|pkl\.tar)$/.test(f));
    // Each value by itself as pandas shows it (floats by repr; a datetime column of midnights as dates).
    const script = `
import json, math, sys, numpy as np, pandas as pd
def cell(v):
    if v is pd.NA: return '<NA>'
    if v is pd.NaT: return 'NaT'
    if v is None: return 'None'
    if isinstance(v, (bool, np.bool_)): return 'True' if v else 'False'
    if isinstance(v, np.float32): return 'NaN' if math.isnan(v) else str(v)
    if isinstance(v, (float, np.floating)): return 'NaN' if math.isnan(v) else repr(float(v))
    return str(v)
def column(values, dtype):
    out = [cell(v) for v in values]
    # pandas prints a tz-naive datetime column of midnights (any unit: pandas 3 keeps us) as dates.
    if str(dtype).startswith('datetime64[') and ',' not in str(dtype) and all(v is pd.NaT or v == v.normalize() for v in values):
        out = ['NaT' if v is pd.NaT else str(v.date()) for v in values]
    return out
def index_columns(ix):
    if isinstance(ix, pd.MultiIndex):
        return [(n, str(l.dtype), column([t[k] for t in ix], l.dtype)) for k, (n, l) in enumerate(zip(ix.names, ix.levels))]
    return [(ix.name, 'int64' if isinstance(ix, pd.RangeIndex) else str(ix.dtype), column(list(ix), ix.dtype))]
out = {}
for f in json.load(sys.stdin):
    v = pd.read_pickle(f)
    if isinstance(v, pd.DataFrame):
        cols = index_columns(v.index) + [(c, str(v.dtypes.iloc[i]), column([v.iloc[r, i] for r in range(len(v))], v.dtypes.iloc[i])) for i, c in enumerate(v.columns)]
    elif isinstance(v, pd.Index):
        cols = index_columns(v)
    else:
        cols = index_columns(v.index) + [(v.name, str(v.dtype), column(list(v), v.dtype))]
    out[f] = [['' if n is None else str(n), d, c] for n, d, c in cols]
print(json.dumps(out))`;
    const paths = files.map((f) => join(dir, f));
    const r = runPython(exe!, ['-W', 'ignore', '-c', script], { input: JSON.stringify(paths), encoding: 'utf8', maxBuffer: 64 << 20 });
    if (r.status !== 0) throw new Error(r.stderr);
    const py = JSON.parse(r.stdout) as Record<string, [string, string, string[]][]>;
    let cells = 0;
    for (const p of paths) {
      const t = tableOf(await loadPandas(new Uint8Array(readFileSync(p))), (v) => `<${typeof v}>`)!;
      const ours = t.columns.map((c) => [c.label, c.dtype, c.cells(0, t.rows)]);
      expect([p, ours]).toEqual([p, py[p]]);
      cells += t.rows * t.columns.length;
    }
    expect(paths.length).toBeGreaterThanOrEqual(18);
    expect(cells).toBeGreaterThan(150);
  });
});

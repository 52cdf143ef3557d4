/**
 * The inspector page: open a pickle or model file, see the verdict under the chosen packs, the
 * findings, the globals, the value and the bytes. Nothing is uploaded: the page makes no request.
 * The same script runs as the page and as its worker (see worker.ts).
 */
import type { AuditGlobal, Finding, Verdict } from '../audit/analyze.js';
import { toSarif } from '../audit/sarif.js';
import { denialOf } from '../policy/deny.js';
import { KNOWN_DEFS } from '../policy/known.js';
import { parsePack } from '../policy/pack.js';
import type { PackEntry, Use } from '../policy/schema.js';
import { SHIPPED_PACKS } from '../policy/shipped.js';
import { bytesView, type BytesView } from './bytes.js';
import { clear, download, h } from './dom.js';
import { DEFAULT_CHOICE, shippedById, type PackChoice } from './judge.js';
import type { Loaded, PartInfo, Shown } from './session.js';
import { renderTree } from './tree.js';
import { holder, serveWorker } from './worker.js';

declare const PICKLEGUARD_VERSION: string;

const SEVERITY = ['critical', 'high', 'medium', 'low', 'info'] as const;

interface State {
  name: string;
  /** The open file as judged (its bytes are with the holder, not here). */
  shown: Shown | null;
  parts: PartInfo[];
  current: number;
  choice: PackChoice;
  custom: { label: string; json: unknown; on: boolean }[];
  busy: boolean;
  /** The packs changed while busy: judge again when done. */
  dirty: boolean;
  /** A part's value is loaded (its JSON can be exported). */
  values: boolean;
}

if (typeof document === 'undefined') serveWorker(self as unknown as Parameters<typeof serveWorker>[0]);
else start(document.currentScript?.textContent ?? null);

function start(selfScript: string | null): void {
  const { holder: file, mode } = holder(selfScript);
  const state: State = { name: '', shown: null, parts: [], current: 0, choice: DEFAULT_CHOICE, custom: [], busy: false, dirty: false, values: false };
  const $ = (sel: string) => document.querySelector(sel) as HTMLElement;
  const status = $('#status');
  const progress = $('#progress') as HTMLProgressElement;
  const result = $('#result');
  const say = (text: string) => (status.textContent = text);
  document.body.dataset.worker = mode;

  // Policy: the shipped packs' checkboxes, then custom packs.
  const packsBox = $('#packs');
  const drawPacks = () => {
    const shipped = [...shippedById().values()].map((p) =>
      h('label', { class: 'pack', title: p.pack.description ?? '' }, h('input', { type: 'checkbox', 'data-pack': p.pack.id, checked: state.choice.shipped.includes(p.pack.id), onchange: (e: Event) => togglePack(p.pack.id, (e.target as HTMLInputElement).checked) }), ` ${p.pack.id}`),
    );
    const custom = state.custom.map((c, i) =>
      h('label', { class: 'pack custom' }, h('input', { type: 'checkbox', 'data-pack': `custom:${i}`, checked: c.on, onchange: (e: Event) => ((c.on = (e.target as HTMLInputElement).checked), rejudge()) }), ` ${c.label}`),
    );
    clear(packsBox, ...shipped, ...custom);
  };
  const choice = (): PackChoice => ({ shipped: [...state.choice.shipped], custom: state.custom.filter((c) => c.on).map((c) => c.json) });
  const togglePack = (id: string, on: boolean) => {
    const ids = new Set(state.choice.shipped);
    if (on) ids.add(id);
    else ids.delete(id);
    state.choice = { shipped: [...ids], custom: [] };
    void rejudge();
  };
  drawPacks();

  const setBusy = (busy: boolean, text = '') => {
    state.busy = busy;
    progress.hidden = !busy;
    if (busy) progress.removeAttribute('value');
    if (text) say(text);
  };

  const open = async (source: Blob | Uint8Array, name: string) => {
    if (state.busy) return;
    setBusy(true, `reading ${name}…`);
    try {
      const shown = await file.read(source, name, choice(), (loaded, total) => {
        progress.max = total || 1;
        progress.value = loaded;
        say(`reading ${name}: ${Math.round((100 * loaded) / (total || 1))}%`);
      });
      state.name = name;
      accept(shown);
      state.current = Math.max(0, state.parts.findIndex((p) => p.report.pickles.length > 0 || p.npy));
      say(`${name}: ${shown.size.toLocaleString('en')} bytes, ${state.parts.length} part${state.parts.length === 1 ? '' : 's'} (read ${mode === 'worker' ? 'in a worker' : 'on this page'})`);
      await render();
    } catch (e) {
      say(`${name}: ${(e as Error).message}`);
    } finally {
      setBusy(false);
    }
    if (state.dirty) {
      state.dirty = false;
      await rejudge();
    }
  };

  const accept = (shown: Shown) => {
    state.shown = shown;
    state.parts = shown.parts;
  };

  const rejudge = async () => {
    drawPacks();
    if (state.busy) state.dirty = true;
    if (!state.shown || state.busy) return;
    setBusy(true, `judging under ${choice().shipped.join('+') || 'no pack'}…`);
    try {
      const shown = await file.rejudge(choice());
      accept(shown);
      await render();
      say(`${state.name}: judged under ${shown.policy}`);
    } catch (e) {
      say(`cannot judge: ${(e as Error).message}`);
    } finally {
      setBusy(false);
    }
    if (state.dirty) {
      state.dirty = false;
      await rejudge();
    }
  };

  let view: BytesView | null = null;
  const showAt = (partIndex: number, offset: number) => {
    if (partIndex !== state.current) {
      state.current = partIndex;
      void renderPart().then(() => view?.show(offset));
    } else void view?.show(offset);
    $('#bytes').scrollIntoView({ block: 'start' });
  };

  async function render(): Promise<void> {
    const j = state.shown!;
    const policyName = j.policy;
    const banner = h('div', { class: `banner ${j.verdict}`, 'data-verdict': j.verdict, role: 'status' }, h('strong', {}, j.verdict.toUpperCase()), ` ${state.name} under ${policyName}`, h('span', { class: 'why' }, ` — ${explain(j.verdict)}`));
    const multi = state.parts.length > 1;
    // A finding repeated in a part (one PG009 per tensor storage) is listed once, with its other offsets.
    const groups = new Map<string, { f: Finding; part: number; offsets: number[] }>();
    state.parts.forEach((p, i) =>
      p.report.findings.forEach((f) => {
        const key = `${i}\n${f.rule}\n${f.severity}\n${f.message}`;
        const g = groups.get(key);
        if (g) g.offsets.push(f.offset);
        else groups.set(key, { f, part: i, offsets: [f.offset] });
      }),
    );
    const findings = [...groups.values()].sort((a, b) => SEVERITY.indexOf(a.f.severity) - SEVERITY.indexOf(b.f.severity));
    const findingsEl = h(
      'ol',
      { class: 'findings' },
      ...findings.map(({ f, part, offsets }) =>
        h(
          'li',
          { 'data-finding': f.rule, 'data-part': part, 'data-offsets': offsets.join(' '), class: `sev-${f.severity}` },
          h('span', { class: `chip ${f.severity}` }, f.severity),
          ' ',
          h('code', {}, f.rule),
          ' ',
          f.message,
          multi ? h('span', { class: 'where' }, ` (${state.parts[part]!.uri})`) : null,
          ' ',
          h('button', { class: 'link', onclick: () => showAt(part, f.offset) }, `byte ${f.offset}`),
          offsets.length > 1 ? ` and ${offsets.length - 1} more` : '',
        ),
      ),
    );
    if (findings.length === 0) findingsEl.append(h('li', { class: 'none' }, 'no findings'));
    const partsEl = multi
      ? h('nav', { class: 'parts', 'aria-label': 'parts' }, ...state.parts.map((p, i) => h('button', { class: i === state.current ? 'part on' : 'part', 'data-part-verdict': p.report.verdict, onclick: () => ((state.current = i), void renderPart()) }, h('span', { class: `chip ${p.report.verdict}` }, p.report.verdict), ` ${p.uri} (${p.report.pickles.length} pickle${p.report.pickles.length === 1 ? '' : 's'})`)))
      : null;
    clear(
      result,
      banner,
      partsEl,
      h('section', { id: 'findings' }, h('h2', {}, `Findings (${groups.size})`), findingsEl),
      h('section', { id: 'globals' }, h('h2', {}, 'Globals'), globalsTable()),
      h('section', { id: 'value' }),
      h('section', { id: 'bytes' }),
      h('section', { id: 'export' }, h('h2', {}, 'Export'), h('button', { onclick: exportJson }, 'value as JSON (convert)'), ' ', h('button', { onclick: exportAudit }, 'audit as JSON'), ' ', h('button', { onclick: exportSarif }, 'audit as SARIF'), ' ', h('button', { onclick: () => void draftPack() }, 'draft a pack from this file'), h('div', { id: 'draft' })),
    );
    // The verdict is drawn before the value is loaded (which takes a while for a big pickle, and on this thread without a worker).
    await new Promise((r) => setTimeout(r, 0));
    await renderPart();
  }

  function globalsTable(): HTMLElement {
    const byName = new Map<string, { g: AuditGlobal; part: number; uses: Set<Use> }>();
    state.parts.forEach((p, i) => {
      for (const g of p.report.globals) {
        const key = `${g.module}.${g.qualname}`;
        if (!byName.has(key)) byName.set(key, { g, part: i, uses: new Set() });
      }
      for (const c of p.report.calls) {
        const e = c.callable ? byName.get(c.callable) : undefined;
        if (e) e.uses.add(c.opcode === 'BUILD' ? 'state' : c.opcode.startsWith('NEWOBJ') ? 'new' : 'call');
      }
    });
    const rows = [...byName].map(([name, { g, part, uses }]) => {
      const denied = denialOf(g.module, g.qualname);
      const status = denied !== undefined ? 'denied' : g.allowed ? 'allowed' : 'refused';
      const { pack, entry } = allowing(g, uses);
      const entryText = entry ? JSON.stringify(entry) : '';
      const copy = entry ? h('button', { class: 'link', title: 'copy this pack entry', onclick: () => void navigator.clipboard?.writeText(entryText).then(() => say('entry copied'), () => say(entryText)) }, 'copy') : null;
      return h(
        'tr',
        { 'data-global': name, class: status },
        h('td', {}, h('code', {}, name)),
        h('td', {}, h('span', { class: `chip ${status}` }, status)),
        h('td', {}, h('button', { class: 'link', onclick: () => showAt(part, g.offset) }, `${g.via} @${g.offset}`)),
        h('td', { class: 'entry' }, denied !== undefined ? denied : status === 'allowed' ? '' : h('span', {}, pack ? `pack ${pack}: ` : 'no shipped pack; a draft entry: ', h('code', {}, entryText), ' ', copy)),
      );
    });
    if (rows.length === 0) return h('p', { class: 'none' }, 'no globals');
    return h('div', { class: 'scroll' }, h('table', { class: 'globals' }, h('thead', {}, h('tr', {}, h('th', {}, 'name'), h('th', {}, 'status'), h('th', {}, 'read at'), h('th', {}, 'what would allow it'))), h('tbody', {}, ...rows)));
  }

  /** The shipped pack (and its entry) that allows a global, or a drafted entry. */
  function allowing(g: AuditGlobal, uses: Set<Use>): { pack?: string; entry?: PackEntry } {
    for (const p of SHIPPED_PACKS) {
      const entry = p.pack.entries.find((e) => e.module === g.module && e.qualname === g.qualname);
      if (entry) return { pack: p.pack.id, entry };
    }
    const name = `${g.module}.${g.qualname}`;
    const order: Use[] = ['call', 'new', 'state'];
    const u = order.filter((x) => uses.has(x));
    return { entry: { module: g.module, qualname: g.qualname, reconstructor: KNOWN_DEFS.some((d) => d.id === name) ? name : 'object', uses: u.length ? u : ['reference'] } };
  }

  let renders = 0;
  async function renderPart(): Promise<void> {
    const me = ++renders;
    const index = state.current;
    const part = state.parts[index];
    document.querySelectorAll('.parts .part').forEach((b, i) => b.classList.toggle('on', i === index));
    const valueEl = $('#value');
    const bytesEl = $('#bytes');
    if (!part || !state.shown) return;
    clear(valueEl, h('h2', {}, 'Value'), h('p', { class: 'note' }, 'loading…'));
    state.values = false;
    // The value is loaded where the file is (the worker); the page draws the nodes it is sent.
    const v = await file.load(index, choice()).catch((e: Error): Loaded => ({ mode: 'policy', notes: [`not loaded: ${e.message}`], roots: [] }));
    if (me !== renders) return;
    state.values = v.roots.length > 0;
    valueEl.dataset.loadedIn = mode;
    const showGlobal = (name: string) => {
      const g = part.report.globals.find((x) => `${x.module}.${x.qualname}` === name);
      if (g) showAt(index, g.offset);
    };
    clear(
      valueEl,
      h('h2', {}, `Value of ${part.uri}`),
      v.mode === 'inspect' ? h('p', { class: 'mode inspect', 'data-mode': 'inspect' }, 'Inspection mode: the policy refuses names in this pickle, so they are shown as inert records; nothing was called.') : h('p', { class: 'mode', 'data-mode': 'policy' }, 'Loaded under the policy.'),
      ...v.notes.map((n) => h('p', { class: 'note' }, n)),
      v.roots.length ? renderTree(file, v.roots, { showGlobal, showOffset: (offset) => showAt(index, offset) }) : h('p', { class: 'note', 'data-tree': '' }, part.report.pickles.length ? 'no value could be loaded' : 'no pickle in this part'),
    );
    view = bytesView({ length: part.length, disAt: (o) => file.disAt(index, o), disFrom: (from) => file.disFrom(index, from), hex: (from, to) => file.hex(index, from, to) }, (offset) => {
      document.querySelectorAll('[data-finding].hit').forEach((e) => e.classList.remove('hit'));
      for (const li of Array.from(document.querySelectorAll<HTMLElement>(`[data-finding][data-part="${index}"]`))) {
        if (li.dataset.offsets!.split(' ').includes(String(offset))) li.classList.add('hit');
      }
    });
    clear(bytesEl, h('h2', {}, `Bytes of ${part.uri} (${part.length.toLocaleString('en')})`), view.element);
  }

  const base = (ext: string) => `${state.name.replace(/[\\/]/g, '_') || 'pickle'}.${ext}`;
  function exportJson(): void {
    if (!state.values) {
      say('no value is loaded');
      return;
    }
    void file.json().then((text) => download(base('json'), text), (e: Error) => say(`cannot export: ${e.message}`));
  }
  function exportAudit(): void {
    const j = state.shown!;
    download(base('audit.json'), `${JSON.stringify({ file: state.name, verdict: j.verdict, policy: j.policy, parts: state.parts.map((p) => ({ uri: p.uri, ...p.report })) }, null, 2)}\n`);
  }
  function exportSarif(): void {
    download(base('sarif'), `${JSON.stringify(toSarif(state.parts.map((p) => ({ uri: p.uri, report: p.report })), PICKLEGUARD_VERSION), null, 2)}\n`, 'application/sarif+json');
  }
  async function draftPack(): Promise<void> {
    const r = await file.draft().catch((e: Error) => (say(`cannot draft a pack: ${e.message}`), null));
    if (r === null) return;
    const json = r.pack;
    const text = JSON.stringify(json, null, 2);
    clear(
      $('#draft'),
      h('h3', {}, `Drafted pack (${json.entries.length} entr${json.entries.length === 1 ? 'y' : 'ies'}; review before use)`),
      ...r.denied.map((d) => h('p', { class: 'note' }, `${d.name} left out: ${d.why}`)),
      h('pre', { class: 'draft' }, text),
      h('button', { onclick: () => (state.custom.push({ label: `drafted (${json.entries.length})`, json, on: true }), void rejudge()) }, 'judge with this pack'),
      ' ',
      h('button', { onclick: () => download('drafted-pack.json', `${text}\n`) }, 'download'),
    );
  }

  // Opening: the picker, drag and drop, paste.
  const input = $('#file') as HTMLInputElement;
  input.addEventListener('change', () => void (input.files?.[0] && open(input.files[0], input.files[0].name)));
  document.addEventListener('dragover', (e) => (e.preventDefault(), document.body.classList.add('dragging')));
  document.addEventListener('dragleave', () => document.body.classList.remove('dragging'));
  document.addEventListener('drop', (e) => {
    e.preventDefault();
    document.body.classList.remove('dragging');
    const f = e.dataTransfer?.files[0];
    if (f) void open(f, f.name);
  });
  $('#paste-go').addEventListener('click', () => {
    const text = ($('#paste') as HTMLTextAreaElement).value;
    const bytes = decodePasted(text);
    if (bytes === null) say('pasted text is neither hex nor base64');
    else void open(bytes, 'pasted');
  });
  const packInput = $('#pack-file') as HTMLInputElement;
  packInput.addEventListener('change', async () => {
    const f = packInput.files?.[0];
    if (!f) return;
    try {
      const json: unknown = JSON.parse(await f.text());
      const loaded = parsePack(json, f.name);
      state.custom.push({ label: `${loaded.pack.id} (${f.name})`, json, on: true });
      await rejudge();
    } catch (e) {
      say(`${f.name}: ${(e as Error).message}`);
    }
  });

  // Files preloaded by `pickleguard inspect`: data blocks in the page, never fetched.
  const preloaded = Array.from(document.querySelectorAll<HTMLScriptElement>('script[type="application/x-pickleguard-file"]'));
  void (async () => {
    for (const s of preloaded) await open(fromBase64(s.textContent ?? ''), s.dataset.name ?? 'preloaded');
    // Only the last is shown; the list lets the user switch.
    if (preloaded.length > 1) {
      clear($('#preloaded'), 'Preloaded: ', ...preloaded.map((s) => h('button', { class: 'link', onclick: () => void open(fromBase64(s.textContent ?? ''), s.dataset.name ?? 'preloaded') }, s.dataset.name ?? '?')));
    }
  })();
}

function explain(v: Verdict): string {
  return v === 'safe' ? 'every pickle loads under this policy' : v === 'unsafe' ? 'the policy refuses what a pickle asks for' : 'the bytes cannot be read as the format says';
}

function fromBase64(text: string): Uint8Array {
  const s = atob(text.replace(/\s+/g, ''));
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

/** Hex (spaces and 0x allowed) or base64; null when it is neither. */
export function decodePasted(text: string): Uint8Array | null {
  const t = text.trim();
  const hex = t.replace(/0x|\\x|[\s:,]/gi, '');
  if (hex.length > 0 && hex.length % 2 === 0 && /^[0-9a-f]+$/i.test(hex)) {
    const out = new Uint8Array(hex.length / 2);
    for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
    return out;
  }
  try {
    const b = fromBase64(t.replace(/-/g, '+').replace(/_/g, '/'));
    return b.length ? b : null;
  } catch {
    return null;
  }
}

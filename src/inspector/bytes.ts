/**
 * The bytes of a part: the pickletools-style disassembly and a hex view, both windowed (only the
 * lines near the point of interest are in the page), and both able to jump to a byte offset. The
 * bytes stay where they are held (the worker): the views ask for windows of lines and rows.
 */
import type { AuditedPickle } from '../audit/analyze.js';
import { disassembleTo, type DisMemo } from '../audit/dis.js';
import { PickleError } from '../errors.js';
import { clear, h } from './dom.js';

const WINDOW = 400;
const HEX_ROWS = 48;
const LINE = 240;
/** Most bytes or characters of an argument shown (its repr then fits a line). */
const ARG = 48;

interface Line {
  readonly offset: number;
  readonly text: string;
}

/** Thrown from the writer to stop the disassembler once it has written far enough. */
const ENOUGH = Symbol('enough');

/**
 * The disassembly of the part's pickles up to the first line past `until` plus `extra` lines (the
 * disassembler cannot start mid-pickle, so reaching far into a big pickle costs reading up to there).
 * `complete` says whether it ran to the end.
 */
export function disassemblyLines(bytes: Uint8Array, pickles: readonly AuditedPickle[], until: number, extra: number): { lines: Line[]; complete: boolean } {
  const lines: Line[] = [];
  const memo: DisMemo = new Map();
  let pending = '';
  let last = 0;
  let past = -1;
  const write = (t: string) => {
    pending += t;
    let nl;
    while ((nl = pending.indexOf('\n')) >= 0) {
      // A long argument (an array's raw bytes) is clipped: the page draws lines, not megabytes.
      const text = nl > LINE ? `${pending.slice(0, LINE)}… (${(nl - LINE).toLocaleString('en')} more characters)` : pending.slice(0, nl);
      pending = pending.slice(nl + 1);
      const m = /^\s*(\d+):/.exec(text);
      if (m) last = Number(m[1]);
      lines.push({ offset: last, text });
      if (past < 0 && last > until) past = lines.length;
      if (past >= 0 && lines.length >= past + extra) throw ENOUGH;
    }
  };
  for (const p of pickles) {
    try {
      disassembleTo(bytes, write, { start: p.start, memo, maxArgShown: ARG });
    } catch (e) {
      if (e === ENOUGH) return { lines, complete: false };
      if (!(e instanceof PickleError)) throw e;
      write(`${pending ? '\n' : ''}error: ${e.message}\n`);
    }
  }
  return { lines, complete: true };
}

/** A window of the disassembly: lines [from, from + lines.length) of `total` written so far (all of them when complete). */
export interface DisWindow {
  readonly from: number;
  readonly lines: Line[];
  readonly total: number;
  readonly complete: boolean;
}

/** A part's disassembly, written as far as has been asked for and kept (held where the bytes are). */
export class DisCache {
  private got: { lines: Line[]; complete: boolean; until: number } | null = null;

  constructor(private readonly bytes: Uint8Array, private readonly pickles: readonly AuditedPickle[]) {}

  /** The lines up to past `until` and a window more, disassembled again only when a farther point is asked for. */
  private to(until: number): Line[] {
    const got = this.got;
    if (got === null || (!got.complete && (until > got.until || got.lines.length < WINDOW))) this.got = { ...disassemblyLines(this.bytes, this.pickles, until, WINDOW), until };
    return this.got!.lines;
  }

  private window(from: number): DisWindow {
    const { lines, complete } = this.got!;
    const at = Math.max(0, Math.min(from, lines.length - 1));
    return { from: at, lines: lines.slice(at, at + WINDOW), total: lines.length, complete };
  }

  /** The window holding the opcode at `offset`, a quarter of a window of lines before it. */
  around(offset: number): DisWindow {
    const all = this.to(offset);
    // The last line at or before the offset.
    let lo = 0;
    let hi = all.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (all[mid]!.offset <= offset) lo = mid;
      else hi = mid - 1;
    }
    return this.window(lo - WINDOW / 4);
  }

  /** The window from line `from`. */
  from(from: number): DisWindow {
    const all = this.got?.lines ?? this.to(-1);
    if (!this.got!.complete && all.length < from + WINDOW && all.length > 0) this.to(all[all.length - 1]!.offset);
    return this.window(from);
  }
}

/** Where a part's bytes are (the worker, or this page): windows of its disassembly and ranges of its bytes. */
export interface BytesSource {
  readonly length: number;
  disAt(offset: number): Promise<DisWindow>;
  disFrom(from: number): Promise<DisWindow>;
  hex(from: number, to: number): Promise<Uint8Array>;
}

/** An opcode's line of the disassembly (`   12: ...`), not a note or the final summary. */
const isOpcodeLine = (text: string) => /^\s*\d+:/.test(text);

export interface BytesView {
  readonly element: HTMLElement;
  /** Shows the opcode at `offset` in both views. */
  show(offset: number): Promise<void>;
}

export function bytesView(source: BytesSource, onLine: (offset: number) => void): BytesView {
  const dis = h('pre', { class: 'dis', tabindex: 0, 'aria-label': 'disassembly' });
  const hex = h('pre', { class: 'hex', tabindex: 0, 'aria-label': 'hex view' });
  let selected = -1;
  // Each pane draws only the answer to its latest request.
  let disAsked = 0;
  let hexAsked = 0;

  const drawDis = async (ask: Promise<DisWindow>) => {
    const me = ++disAsked;
    const w = await ask.catch((e: Error) => (clear(dis, `not shown: ${e.message}`), null));
    if (me !== disAsked || w === null) return;
    const rows: (Node | string)[] = [];
    if (w.from > 0) rows.push(h('button', { class: 'more', onclick: () => void drawDis(source.disFrom(Math.max(0, w.from - WINDOW))) }, `… ${w.from.toLocaleString('en')} earlier lines`));
    for (const l of w.lines) rows.push(h('span', { class: l.offset === selected && isOpcodeLine(l.text) ? 'line sel' : 'line', 'data-offset': l.offset, onclick: () => (void view.show(l.offset), onLine(l.offset)) }, l.text, '\n'));
    const after = w.total - w.from - w.lines.length;
    if (after > 0 || !w.complete) rows.push(h('button', { class: 'more', onclick: () => void drawDis(source.disFrom(w.from + WINDOW)) }, w.complete ? `… ${after.toLocaleString('en')} later lines` : '… later lines'));
    clear(dis, ...rows);
  };

  const drawHex = async (from: number) => {
    const me = ++hexAsked;
    const end = Math.min(source.length, from + HEX_ROWS * 16);
    const bytes = await source.hex(from, end).catch((e: Error) => (clear(hex, `not shown: ${e.message}`), null));
    if (me !== hexAsked || bytes === null) return;
    const rows: (Node | string)[] = [];
    if (from > 0) rows.push(h('button', { class: 'more', onclick: () => void drawHex(Math.max(0, from - HEX_ROWS * 16)) }, '… earlier bytes'));
    for (let row = from; row < end; row += 16) {
      const cells: (Node | string)[] = [h('span', { class: 'addr' }, row.toString(16).padStart(8, '0')), '  '];
      let ascii = '';
      for (let i = row; i < row + 16; i++) {
        if (i < end) {
          const b = bytes[i - from]!;
          cells.push(h('span', { class: i === selected ? 'byte sel' : 'byte' }, b.toString(16).padStart(2, '0')), i % 16 === 7 ? '  ' : ' ');
          ascii += b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.';
        } else cells.push('   ');
      }
      rows.push(h('span', { class: 'row' }, ...cells, ' ', ascii, '\n'));
    }
    if (end < source.length) rows.push(h('button', { class: 'more', onclick: () => void drawHex(end) }, `… ${(source.length - end).toLocaleString('en')} later bytes`));
    clear(hex, ...rows);
  };

  const view: BytesView = {
    element: h('div', { class: 'bytes' }, h('section', { class: 'pane' }, h('h3', {}, 'Disassembly'), dis), h('section', { class: 'pane' }, h('h3', {}, 'Hex'), hex)),
    async show(offset: number) {
      selected = offset;
      await Promise.all([drawDis(source.disAt(offset)), drawHex(Math.max(0, offset - (offset % 16) - 16 * 8))]);
      dis.querySelector('.sel')?.scrollIntoView({ block: 'nearest' });
    },
  };
  // In the focused disassembly, ↓ and ↑ select the next and previous opcode, as a click does.
  dis.addEventListener('keydown', (e) => {
    if (e.key !== 'ArrowDown' && e.key !== 'ArrowUp') return;
    const lines = Array.from(dis.querySelectorAll<HTMLElement>('.line')).filter((l) => isOpcodeLine(l.textContent ?? ''));
    if (lines.length === 0) return;
    e.preventDefault();
    const at = lines.findIndex((l) => l.classList.contains('sel'));
    const next = at < 0 ? lines[0]! : lines[Math.max(0, Math.min(lines.length - 1, at + (e.key === 'ArrowDown' ? 1 : -1)))]!;
    const offset = Number(next.dataset.offset);
    void view.show(offset);
    onLine(offset);
  });
  void drawDis(source.disFrom(0));
  void drawHex(0);
  return view;
}

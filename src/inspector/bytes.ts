/**
 * The bytes of a part: the pickletools-style disassembly and a hex view, both windowed (only the
 * lines near the point of interest are in the page), and both able to jump to a byte offset.
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

export interface BytesView {
  readonly element: HTMLElement;
  /** Shows the opcode at `offset` in both views. */
  show(offset: number): void;
}

export function bytesView(bytes: Uint8Array, pickles: readonly AuditedPickle[], onLine: (offset: number) => void): BytesView {
  let got: { lines: Line[]; complete: boolean; until: number } | null = null;
  /** The lines up to past `until` and a window more, disassembled again only when a farther point is asked for. */
  const linesTo = (until: number): Line[] => {
    if (got === null || (!got.complete && (until > got.until || got.lines.length < WINDOW))) got = { ...disassemblyLines(bytes, pickles, until, WINDOW), until };
    return got.lines;
  };
  const dis = h('pre', { class: 'dis', tabindex: 0, 'aria-label': 'disassembly' });
  const hex = h('pre', { class: 'hex', tabindex: 0, 'aria-label': 'hex view' });
  let disFrom = 0;
  let selected = -1;

  const drawDis = () => {
    const all = linesTo(got?.until ?? -1);
    const rows: (Node | string)[] = [];
    if (disFrom > 0) rows.push(h('button', { class: 'more', onclick: () => ((disFrom = Math.max(0, disFrom - WINDOW)), drawDis()) }, `… ${disFrom.toLocaleString('en')} earlier lines`));
    for (let i = disFrom; i < Math.min(all.length, disFrom + WINDOW); i++) {
      const l = all[i]!;
      rows.push(h('span', { class: l.offset === selected && /^\s*\d+:/.test(l.text) ? 'line sel' : 'line', 'data-offset': l.offset, onclick: () => (view.show(l.offset), onLine(l.offset)) }, l.text, '\n'));
    }
    if (disFrom + WINDOW < all.length || !got!.complete) {
      const label = got!.complete ? `… ${(all.length - disFrom - WINDOW).toLocaleString('en')} later lines` : '… later lines';
      rows.push(h('button', { class: 'more', onclick: () => ((disFrom += WINDOW), linesTo(all[Math.min(all.length - 1, disFrom + WINDOW)]!.offset), drawDis()) }, label));
    }
    clear(dis, ...rows);
  };

  let hexFrom = 0;
  const drawHex = () => {
    const end = Math.min(bytes.length, hexFrom + HEX_ROWS * 16);
    const rows: (Node | string)[] = [];
    if (hexFrom > 0) rows.push(h('button', { class: 'more', onclick: () => ((hexFrom = Math.max(0, hexFrom - HEX_ROWS * 16)), drawHex()) }, '… earlier bytes'));
    for (let row = hexFrom; row < end; row += 16) {
      const cells: (Node | string)[] = [h('span', { class: 'addr' }, row.toString(16).padStart(8, '0')), '  '];
      let ascii = '';
      for (let i = row; i < row + 16; i++) {
        if (i < bytes.length) {
          const b = bytes[i]!;
          cells.push(h('span', { class: i === selected ? 'byte sel' : 'byte' }, b.toString(16).padStart(2, '0')), i % 16 === 7 ? '  ' : ' ');
          ascii += b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.';
        } else cells.push('   ');
      }
      rows.push(h('span', { class: 'row' }, ...cells, ' ', ascii, '\n'));
    }
    if (end < bytes.length) rows.push(h('button', { class: 'more', onclick: () => ((hexFrom = end), drawHex()) }, `… ${(bytes.length - end).toLocaleString('en')} later bytes`));
    clear(hex, ...rows);
  };

  const view: BytesView = {
    element: h('div', { class: 'bytes' }, h('section', { class: 'pane' }, h('h3', {}, 'Disassembly'), dis), h('section', { class: 'pane' }, h('h3', {}, 'Hex'), hex)),
    show(offset: number) {
      selected = offset;
      const all = linesTo(offset);
      // The last line at or before the offset.
      let lo = 0;
      let hi = all.length - 1;
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if (all[mid]!.offset <= offset) lo = mid;
        else hi = mid - 1;
      }
      disFrom = Math.max(0, lo - WINDOW / 4);
      hexFrom = Math.max(0, (offset & ~15) - 16 * 8);
      drawDis();
      drawHex();
      dis.querySelector('.sel')?.scrollIntoView({ block: 'nearest' });
    },
  };
  drawDis();
  drawHex();
  return view;
}

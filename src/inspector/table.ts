/**
 * A paged table of a `TableModel`: a page of rows and a window of columns at a time, so a frame of
 * millions of rows or thousands of columns costs one page. Index columns are row headers; each
 * header shows its dtype underneath.
 */
import { h } from './dom.js';
import type { TableDetail } from './describe.js';

const ROWS = 50;
const COLS = 40;

export function renderTable(t: TableDetail, fetch: (from: number, to: number, columns: number[]) => Promise<string[][]>): HTMLElement {
  const at = (c: (typeof t.columns)[number]) => t.columns.indexOf(c);
  const index = t.columns.filter((c) => c.index);
  const data = t.columns.filter((c) => !c.index);
  let row = 0;
  let col = 0;
  const table = h('table', { class: 'frame', 'data-dataframe': t.kind, 'data-rows': t.rows, 'data-columns': data.length });
  const where = h('span', { class: 'where' });
  const nav = (label: string, title: string, go: () => void) => h('button', { class: 'page', title, 'aria-label': title, onclick: go }, label);
  const jump = h('input', { type: 'number', min: 1, max: Math.max(1, t.rows), class: 'jump', 'aria-label': 'go to row', placeholder: 'row' });
  const lastRow = Math.max(0, Math.floor((t.rows - 1) / ROWS) * ROWS);
  const lastCol = Math.max(0, Math.floor((data.length - 1) / COLS) * COLS);
  const rowsBar = h(
    'div',
    { class: 'pager' },
    nav('⏮', 'first rows', () => draw(0, col)),
    nav('◀', 'previous rows', () => draw(row - ROWS, col)),
    where,
    nav('▶', 'next rows', () => draw(row + ROWS, col)),
    nav('⏭', 'last rows', () => draw(lastRow, col)),
    jump,
  );
  jump.addEventListener('change', () => {
    const n = Number(jump.value);
    if (Number.isFinite(n)) void draw(Math.floor((n - 1) / ROWS) * ROWS, col);
  });
  const colsWhere = h('span', { class: 'where' });
  const colsBar = data.length > COLS ? h('div', { class: 'pager' }, nav('◀', 'previous columns', () => draw(row, col - COLS)), colsWhere, nav('▶', 'next columns', () => draw(row, col + COLS))) : null;

  let drawing = 0;
  const draw = async (r: number, c: number) => {
    row = Math.max(0, Math.min(r, lastRow));
    col = Math.max(0, Math.min(c, lastCol));
    const end = Math.min(t.rows, row + ROWS);
    const shown = data.slice(col, col + COLS);
    const cols = [...index, ...shown];
    const ticket = ++drawing;
    const texts = await fetch(row, end, cols.map(at)).catch((e: Error) => ((where.textContent = `not shown: ${e.message}`), null));
    if (ticket !== drawing || texts === null) return;
    const head = h('tr', {}, ...cols.map((x) => h('th', { scope: 'col', class: x.index ? 'ix' : '', 'data-column': x.label }, h('span', { class: 'name' }, x.label), h('span', { class: 'dtype' }, x.dtype))));
    const body = Array.from({ length: end - row }, (_, k) => h('tr', {}, ...cols.map((x, i) => (x.index ? h('th', { scope: 'row' }, texts[i]![k]!) : h('td', {}, texts[i]![k]!)))));
    table.replaceChildren(h('thead', {}, head), h('tbody', {}, ...body));
    // Drawn: tests wait on this (rows are fetched from where the value lives).
    table.dataset.firstRow = String(row);
    where.textContent = t.rows === 0 ? 'no rows' : `rows ${(row + 1).toLocaleString('en')}–${end.toLocaleString('en')} of ${t.rows.toLocaleString('en')}`;
    colsWhere.textContent = `columns ${col + 1}–${col + shown.length} of ${data.length.toLocaleString('en')}`;
  };
  void draw(0, 0);
  return h('div', { class: 'frame-view' }, t.rows > ROWS ? rowsBar : h('div', { class: 'pager' }, where), colsBar, h('div', { class: 'scroll' }, table));
}

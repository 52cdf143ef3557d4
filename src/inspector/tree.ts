/**
 * The value tree: lazy (a node's children are asked for when it is opened), paged (a hundred at a
 * time), Python's type names, and a container met again shown as a link to where it was first shown.
 * The nodes come from a `TreeSource` (describe.ts): the values may live in the worker. Tab reaches
 * the first node; the arrow keys, Home and End move through the tree.
 */
import { summary } from './arrays.js';
import type { NodeDesc, TableDetail, TreeSource } from './describe.js';
import { h } from './dom.js';
import { renderTable } from './table.js';

const PAGE = 100;

/** Notes in `group` that what was asked for cannot be shown (the value went away: another part or file is being loaded). */
const notShown = (group: HTMLElement) => (e: Error) => group.append(h('p', { class: 'note' }, `not shown: ${e.message}`));

export interface TreeContext {
  /** Called when a node naming a global (a record or a global used as data) asks to show its opcode. */
  readonly showGlobal?: (name: string) => void;
  /** Shows the opcode at an offset. */
  readonly showOffset?: (offset: number) => void;
}

/** Builds the tree of the roots (one per pickle) inside an element carrying `data-tree`. */
export function renderTree(source: TreeSource, roots: readonly NodeDesc[], ctx: TreeContext = {}): HTMLElement {
  const first = new Map<number, HTMLDetailsElement>();
  let ids = 0;
  const root = h('div', { class: 'tree', role: 'tree', 'data-tree': '' });

  const node = (d: NodeDesc): HTMLElement => {
    const name = d.global;
    const typeEl = name !== undefined ? h('button', { class: 't link', title: 'show where this name is read', onclick: () => ctx.showGlobal?.(name) }, d.type) : h('span', { class: 't' }, d.type);
    const head = (tag: 'div' | 'summary') => h(tag, tag === 'div' ? { class: 'leaf', role: 'treeitem' } : {}, h('span', { class: 'k' }, d.label), ' ', typeEl, ' ', h('span', { class: 'p' }, ''));
    const seen = d.oid !== undefined ? first.get(d.oid) : undefined;
    if (seen) {
      const leaf = head('div');
      leaf.querySelector('.p')!.append(h('a', { href: `#${seen.id}`, class: 'ref', onclick: (e: Event) => (e.preventDefault(), reveal(seen)) }, `↪ the same object as ${seen.dataset.path}`));
      return leaf;
    }
    if (d.handle === undefined) {
      const leaf = head('div');
      leaf.querySelector('.p')!.textContent = d.text;
      return leaf;
    }
    const handle = d.handle;
    const summaryEl = head('summary');
    const at = d.builtAt;
    if (at !== undefined) summaryEl.append(' ', h('button', { class: 'link at', 'data-built-at': at, title: 'show the opcode that built it', onclick: (e: Event) => (e.preventDefault(), ctx.showOffset?.(at)) }, `@${at}`));
    summaryEl.querySelector('.p')!.textContent = d.text;
    const details = h('details', { class: 'node', role: 'treeitem', id: `node-${++ids}` }, summaryEl);
    details.dataset.path = d.label;
    if (d.oid !== undefined) first.set(d.oid, details);
    let filled = false;
    details.addEventListener('toggle', () => {
      if (!details.open || filled) return;
      filled = true;
      const group = h('div', { class: 'kids', role: 'group', 'aria-busy': 'true' });
      details.append(group);
      void (async () => {
        const open = await source.open(handle);
        if (open.array) group.append(summary(open.array));
        if (open.table) group.append(...tableView(source, handle, open.table));
        await page(group, handle, d.count ?? 0, 0, details.dataset.path ?? '');
      })()
        .catch(notShown(group))
        .finally(() => group.removeAttribute('aria-busy'));
    });
    return details;
  };

  const page = async (group: HTMLElement, handle: number, count: number, shown: number, path: string): Promise<void> => {
    const kids = await source.children(handle, shown, PAGE);
    for (const k of kids) {
      const el = node(k);
      if (el instanceof HTMLDetailsElement) el.dataset.path = `${path}[${k.label}]`;
      group.append(el);
    }
    shown += kids.length;
    if (shown < count && kids.length > 0) {
      const more: HTMLButtonElement = h('button', { class: 'more', onclick: () => (more.remove(), void page(group, handle, count, shown, path).catch(notShown(group))) }, `show ${Math.min(PAGE, count - shown)} more (${(count - shown).toLocaleString('en')} not shown)`);
      group.append(more);
    }
  };

  // Arrow keys move between the nodes that are shown, open (→) and close (←) them, as a tree does.
  root.addEventListener('keydown', (e) => {
    const at = e.target;
    if (!(at instanceof HTMLElement) || at.tagName !== 'SUMMARY' || e.altKey || e.ctrlKey || e.metaKey) return;
    const details = at.parentElement as HTMLDetailsElement;
    const shown = () => Array.from(root.querySelectorAll<HTMLElement>('summary')).filter((x) => x.offsetParent !== null);
    let to: HTMLElement | null | undefined;
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      const all = shown();
      to = all[all.indexOf(at) + (e.key === 'ArrowDown' ? 1 : -1)];
    } else if (e.key === 'Home') to = shown()[0];
    else if (e.key === 'End') to = shown().at(-1);
    else if (e.key === 'ArrowRight') {
      if (!details.open) details.open = true;
      else to = details.querySelector<HTMLElement>(':scope > .kids summary');
    } else if (e.key === 'ArrowLeft') {
      if (details.open) details.open = false;
      else to = details.parentElement?.closest('details')?.querySelector<HTMLElement>(':scope > summary');
    } else return;
    e.preventDefault();
    to?.focus();
  });
  roots.forEach((d) => root.append(node(d)));
  const top = root.querySelector(':scope > details');
  if (top instanceof HTMLDetailsElement && roots.length === 1) top.open = true;
  return root;
}

/** A table, then a summary and plot per numeric field (structured arrays). */
function tableView(source: TreeSource, handle: number, t: TableDetail): HTMLElement[] {
  const out = [renderTable(t, (from, to, columns) => source.cells(handle, from, to, columns))];
  for (const f of t.fields) out.push(h('div', { class: 'field', 'data-field': f.label }, h('div', { class: 'array-head' }, `field ${f.label}`), summary(f.detail)));
  return out;
}

/** Opens every closed ancestor of `el`, scrolls to it and focuses it. */
export function reveal(el: HTMLElement): void {
  for (let p: HTMLElement | null = el; p; p = p.parentElement) if (p instanceof HTMLDetailsElement) p.open = true;
  el.scrollIntoView({ block: 'center' });
  (el.querySelector('summary') ?? el).focus();
}

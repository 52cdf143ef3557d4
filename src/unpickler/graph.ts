/**
 * Walks over a loaded value, without recursion (a hostile pickle can nest a million deep).
 * Containers are arrays (lists, tuples), Maps (dicts, keys and values), Sets, inert `PyObject`
 * records, values that list their children (`CHILDREN`: numpy arrays, OrderedDict attributes,
 * tensors), and plain or null-prototype objects; everything else is a leaf.
 */
import { CHILDREN, hasChildren } from '../model/children.js';
import { PyObject } from '../model/object.js';

export function isContainer(value: unknown): value is object {
  if (typeof value !== 'object' || value === null) return false;
  if (Array.isArray(value) || value instanceof Map || value instanceof Set || value instanceof PyObject || hasChildren(value)) return true;
  const proto = Object.getPrototypeOf(value);
  return proto === null || proto === Object.prototype;
}

const EMPTY: readonly unknown[] = [];

/** The containers among a container's children (dict keys included: tuples can nest). */
function containerChildren(node: object): readonly unknown[] {
  if (Array.isArray(node)) return node;
  let out: unknown[] | null = null;
  const add = (v: unknown): void => {
    if (typeof v === 'object' && v !== null) (out ??= []).push(v);
  };
  // Values that list their own children come first: an OrderedDict with attributes is also a Map.
  if (hasChildren(node)) {
    for (const v of node[CHILDREN]()) add(v);
    return out ?? EMPTY;
  }
  if (node instanceof Map) {
    // Keys and values in two plain loops (order does not matter for depth): no closure call and
    // no [key, value] pair per entry, which made this the walk's main cost on dict-heavy values.
    let found: unknown[] | null = null;
    for (const k of node.keys()) if (typeof k === 'object' && k !== null) (found ??= []).push(k);
    for (const v of node.values()) if (typeof v === 'object' && v !== null) (found ??= []).push(v);
    return found ?? EMPTY;
  }
  if (node instanceof Set) {
    for (const v of node) add(v);
  } else if (node instanceof PyObject) {
    add(node.callable);
    add(node.args);
    add(node.kwargs);
    add(node.state);
    add(node.listitems);
    add(node.dictitems);
  } else {
    for (const v of Object.values(node)) add(v);
  }
  return out ?? EMPTY;
}

/**
 * The nesting depth of `root` (a scalar is 0, `[]` is 1, `[[]]` is 2), or `Infinity` as soon as
 * it is known to exceed `limit`. Shared containers are measured once; a reference back to a
 * container still being measured (a cycle) adds nothing.
 *
 * `treeBudget`, when given, is the number of containers the value can hold if nothing in it is
 * shared: a first pass then walks it as a tree, without bookkeeping per container, and falls back
 * to the full walk as soon as it visits more containers than that (sharing, or a cycle).
 */
export function nestingDepth(root: unknown, limit: number, treeBudget = 0): number {
  if (!isContainer(root)) return 0;
  if (treeBudget > 0) {
    const depth = walk(root, limit, treeBudget);
    if (depth !== undefined) return depth;
  }
  return walk(root, limit, 0)!;
}

/**
 * Post-order walk with an explicit stack. With a `budget`, the value is walked as a tree (no record
 * per container) and the walk gives up (`undefined`) past `budget` containers or `limit` levels;
 * without one, each container is measured once and `Infinity` means deeper than `limit`.
 */
function walk(root: object, limit: number, budget: number): number | undefined {
  const asTree = budget > 0;
  // Depth of each finished container; OPEN while it is on the path.
  const OPEN = -1;
  const seen = asTree ? null : new Map<object, number>([[root, OPEN]]);
  const nodes: object[] = [root];
  const kids: (readonly unknown[])[] = [containerChildren(root)];
  const next: number[] = [0];
  const best: number[] = [0];
  let visits = 1;
  let top = 0;
  while (top >= 0) {
    const list = kids[top]!;
    let i = next[top]!;
    let child: object | null = null;
    while (i < list.length) {
      const c = list[i++];
      if (typeof c !== 'object' || c === null) continue;
      const known = seen?.get(c);
      if (known !== undefined) {
        if (known > best[top]!) best[top] = known;
      } else if (isContainer(c)) {
        child = c;
        break;
      }
    }
    if (child !== null) {
      if (asTree ? ++visits > budget || top + 1 >= limit : top + 1 >= limit) return asTree ? undefined : Infinity;
      next[top] = i;
      top++;
      nodes[top] = child;
      kids[top] = containerChildren(child);
      next[top] = 0;
      best[top] = 0;
      seen?.set(child, OPEN);
      continue;
    }
    const depth = best[top]! + 1;
    if (depth > limit) return asTree ? undefined : Infinity;
    seen?.set(nodes[top]!, depth);
    top--;
    if (top < 0) return depth;
    if (depth > best[top]!) best[top] = depth;
  }
  return undefined;
}

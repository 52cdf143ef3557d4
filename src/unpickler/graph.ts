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

/**
 * Append the objects among a container's children to `out` from `at` on (dict keys included:
 * tuples can nest); returns where they end. Arrays are not gathered: the walk reads them in place.
 * One shared array and no closure or pair per entry: a walk over 200,000 small dicts made a
 * 200-byte array for each of them, a tenth of a records load's allocation.
 */
function gather(node: object, out: unknown[], at: number): number {
  // Values that list their own children come first: an OrderedDict with attributes is also a Map.
  if (hasChildren(node)) {
    for (const v of node[CHILDREN]()) if (typeof v === 'object' && v !== null) out[at++] = v;
  } else if (node instanceof Map) {
    for (const k of node.keys()) if (typeof k === 'object' && k !== null) out[at++] = k;
    for (const v of node.values()) if (typeof v === 'object' && v !== null) out[at++] = v;
  } else if (node instanceof Set) {
    for (const v of node) if (typeof v === 'object' && v !== null) out[at++] = v;
  } else if (node instanceof PyObject) {
    for (const v of [node.callable, node.args, node.kwargs, node.state, node.listitems, node.dictitems]) {
      if (typeof v === 'object' && v !== null) out[at++] = v;
    }
  } else {
    for (const v of Object.values(node)) if (typeof v === 'object' && v !== null) out[at++] = v;
  }
  return at;
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
 * A level reads its children from an array in place (`lists[top]` from `next[top]` to `ends[top]`):
 * the container itself when it is an array, else the part of `pool` its children were gathered into.
 */
function walk(root: object, limit: number, budget: number): number | undefined {
  const asTree = budget > 0;
  // Depth of each finished container; OPEN while it is on the path.
  const OPEN = -1;
  const seen = asTree ? null : new Map<object, number>([[root, OPEN]]);
  const pool: unknown[] = [];
  const nodes: object[] = [root];
  const lists: (readonly unknown[])[] = [];
  const next: number[] = [];
  const ends: number[] = [];
  const best: number[] = [0];
  // How much of the pool levels 0 .. top use: a new level gathers its children above it.
  const used: number[] = [];
  const open = (node: object, top: number, from: number): void => {
    if (Array.isArray(node)) {
      lists[top] = node;
      next[top] = 0;
      ends[top] = node.length;
      used[top] = from;
    } else {
      lists[top] = pool;
      next[top] = from;
      ends[top] = used[top] = gather(node, pool, from);
    }
  };
  open(root, 0, 0);
  let visits = 1;
  let top = 0;
  while (top >= 0) {
    const list = lists[top]!;
    let i = next[top]!;
    const end = ends[top]!;
    let child: object | null = null;
    while (i < end) {
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
      const from = used[top]!;
      top++;
      nodes[top] = child;
      best[top] = 0;
      open(child, top, from);
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

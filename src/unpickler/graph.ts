/**
 * Walks over a loaded value, without recursion (a hostile pickle can nest a million deep).
 * Containers are arrays (lists, tuples), Maps (dicts, keys and values), Sets, and plain or
 * null-prototype objects; everything else is a leaf.
 */
export function isContainer(value: unknown): value is object {
  if (typeof value !== 'object' || value === null) return false;
  if (Array.isArray(value) || value instanceof Map || value instanceof Set) return true;
  const proto = Object.getPrototypeOf(value);
  return proto === null || proto === Object.prototype;
}

export function childrenOf(node: object): Iterator<unknown> {
  if (node instanceof Map) return mapChildren(node);
  if (Array.isArray(node) || node instanceof Set) return node[Symbol.iterator]();
  return Object.values(node)[Symbol.iterator]();
}

function* mapChildren(map: Map<unknown, unknown>): Iterator<unknown> {
  for (const [k, v] of map) {
    yield k;
    yield v;
  }
}

/**
 * The nesting depth of `root` (a scalar is 0, `[]` is 1, `[[]]` is 2), or `Infinity` as soon as
 * it is known to exceed `limit`. Shared containers are measured once; a reference back to a
 * container still being measured (a cycle) adds nothing.
 */
export function nestingDepth(root: unknown, limit: number): number {
  if (!isContainer(root)) return 0;
  const done = new Map<object, number>();
  const nodes: object[] = [root];
  const iters: Iterator<unknown>[] = [childrenOf(root)];
  const best: number[] = [0];
  const open = new Set<object>([root]);
  while (nodes.length > 0) {
    const top = nodes.length - 1;
    const next = iters[top]!.next();
    if (next.done) {
      const node = nodes.pop()!;
      iters.pop();
      const depth = best.pop()! + 1;
      if (depth > limit) return Infinity;
      open.delete(node);
      done.set(node, depth);
      if (top > 0 && depth > best[top - 1]!) best[top - 1] = depth;
      continue;
    }
    const child = next.value;
    if (!isContainer(child) || open.has(child)) continue;
    const known = done.get(child);
    if (known !== undefined) {
      if (known > best[top]!) best[top] = known;
      continue;
    }
    if (nodes.length >= limit) return Infinity;
    nodes.push(child);
    iters.push(childrenOf(child));
    best.push(0);
    open.add(child);
  }
  return done.get(root)!;
}

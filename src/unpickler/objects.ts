/**
 * The `dicts: 'object'` option: after loading, every plain dict (a `Map`, not a subclass) whose
 * keys are all strings becomes a null-prototype object, and every reference to it follows, so
 * shared references and cycles keep their identity. Lists and dict values are updated in place;
 * a tuple holding a converted dict is rebuilt (tuples are frozen), and references to it follow too.
 */
import { PyTuple } from '../model/tuple.js';
import { isContainer } from './graph.js';

type Holder = unknown[] | Map<unknown, unknown> | Record<string, unknown>;
interface TupleFrame {
  node: PyTuple;
  kids: unknown[];
  i: number;
  changed: boolean;
}
/** Where a tuple still being rebuilt is referenced, to patch once it is done. */
interface Fixup {
  holder: Holder;
  at: unknown;
  frame: TupleFrame | null;
}

function place(holder: Holder, at: unknown, value: unknown): void {
  if (holder instanceof Map) holder.set(at, value);
  else (holder as Record<string, unknown>)[at as string] = value;
}

export function convertDicts(root: unknown): unknown {
  const replaced = new Map<object, unknown>();
  const pending = new Map<PyTuple, Fixup[]>();
  const work: (object | TupleFrame)[] = [];
  const rootBox: unknown[] = [root];

  /** The value to store at `holder[at]` in place of `value`; schedules its own contents. */
  const visit = (value: unknown, holder: Holder, at: unknown, frame: TupleFrame | null): unknown => {
    if (!isContainer(value)) return value;
    if (replaced.has(value)) return replaced.get(value);
    if (value instanceof PyTuple) {
      const fixups = pending.get(value);
      if (fixups !== undefined) {
        fixups.push({ holder, at, frame });
      } else {
        pending.set(value, [{ holder, at, frame }]);
        work.push({ node: value, kids: [...value], i: 0, changed: false });
      }
      return value;
    }
    if (value instanceof Map && Object.getPrototypeOf(value) === Map.prototype && [...value.keys()].every((k) => typeof k === 'string')) {
      const obj: Record<string, unknown> = Object.create(null);
      for (const [k, v] of value) obj[k as string] = v;
      replaced.set(value, obj);
      work.push(obj);
      return obj;
    }
    replaced.set(value, value);
    if (Array.isArray(value) || value instanceof Map) work.push(value);
    return value;
  };

  visit(root, rootBox, 0, null);
  while (work.length > 0) {
    const item = work[work.length - 1]!;
    if (!('kids' in item && 'changed' in item && item.node instanceof PyTuple)) {
      work.pop();
      // A list, a Map kept as a Map, or a converted dict's new object: rewrite its values in place.
      if (Array.isArray(item)) {
        for (let i = 0; i < item.length; i++) {
          const v = item[i];
          const nv = visit(v, item, i, null);
          if (nv !== v) item[i] = nv;
        }
      } else if (item instanceof Map) {
        for (const [k, v] of item) {
          const nv = visit(v, item, k, null);
          if (nv !== v) item.set(k, nv);
        }
      } else {
        const obj = item as Record<string, unknown>;
        for (const k of Object.keys(obj)) {
          const v = obj[k];
          const nv = visit(v, obj, k, null);
          if (nv !== v) obj[k] = nv;
        }
      }
      continue;
    }
    const f = item as TupleFrame;
    if (f.i < f.kids.length) {
      const i = f.i++;
      const v = f.kids[i];
      const nv = visit(v, f.kids, i, f);
      if (nv !== v) {
        f.kids[i] = nv;
        f.changed = true;
      }
      continue;
    }
    work.pop();
    const rebuilt = f.changed ? PyTuple.fromArray(f.kids) : f.node;
    replaced.set(f.node, rebuilt);
    for (const fix of pending.get(f.node)!) {
      if (rebuilt === f.node) continue;
      place(fix.holder, fix.at, rebuilt);
      if (fix.frame !== null) fix.frame.changed = true;
    }
    pending.delete(f.node);
  }
  return replaced.has(root as object) ? replaced.get(root as object) : rootBox[0];
}

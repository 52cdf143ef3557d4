/**
 * Values that keep other loaded values outside Array, Map and Set slots (an object array's items,
 * an OrderedDict's attributes, a tensor's metadata) list them here, so the unpickler's iterative
 * walks (the `maxDepth` check) see through them.
 */
export const CHILDREN: unique symbol = Symbol.for('pickleguard.children') as never;

export interface HasChildren {
  [CHILDREN](): readonly unknown[];
}

export function hasChildren(value: unknown): value is HasChildren {
  return typeof value === 'object' && value !== null && typeof (value as Partial<HasChildren>)[CHILDREN] === 'function';
}

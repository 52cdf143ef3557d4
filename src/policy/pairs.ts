/**
 * A map keyed by (module, qualname) pairs, never by a joined string: `numpy` + `core.multiarray.x`
 * and `numpy.core.multiarray` + `x` are different names to Python's `find_class`, and so here.
 */
export class PairMap<V> {
  readonly #byModule = new Map<string, Map<string, V>>();

  get(module: string, qualname: string): V | undefined {
    return this.#byModule.get(module)?.get(qualname);
  }

  has(module: string, qualname: string): boolean {
    return this.#byModule.get(module)?.has(qualname) === true;
  }

  set(module: string, qualname: string, value: V): void {
    let inModule = this.#byModule.get(module);
    if (inModule === undefined) this.#byModule.set(module, (inModule = new Map()));
    inModule.set(qualname, value);
  }
}

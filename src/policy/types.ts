/**
 * What the unpickler asks of a policy. The engine knows no Python names: every GLOBAL, STACK_GLOBAL,
 * INST, OBJ and EXT goes through `resolve`, and only what it returns can later be called (REDUCE,
 * INST, OBJ), instantiated (NEWOBJ, NEWOBJ_EX) or given state (BUILD).
 */
export interface Policy {
  /** A short name for messages ("default", a pack id, …). */
  readonly name: string;
  /** The reconstructor for `module.qualname`, or `undefined` when the policy does not allow it. */
  resolve(module: string, qualname: string): Reconstructor | undefined;
  /**
   * For a call whose callable is not a global (a value an earlier call returned): the reconstructor to
   * use, or undefined to refuse. Only inspection mode answers, with an inert recorder.
   */
  resolveCallable?(callable: unknown): Reconstructor | undefined;
  /** Why `module.qualname` is refused for `use`, the pack entry that would allow it (if any can), and a shipped pack that does. */
  explain?(module: string, qualname: string, use: PolicyUse): { readonly reason: string; readonly allowWith?: string; readonly shippedPack?: string };
}

/** How a pickle uses a global: calling it (REDUCE, INST, OBJ), instantiating it (NEWOBJ, NEWOBJ_EX), giving state (BUILD), or only naming it. */
export type PolicyUse = 'call' | 'new' | 'state' | 'reference';

/**
 * The TypeScript stand-in for one Python global. Every capability is optional: a global that is
 * only referenced has none; the VM refuses an operation whose capability is missing.
 */
export interface Reconstructor {
  readonly module: string;
  readonly qualname: string;
  /** `global(*args)`: REDUCE, INST and OBJ. A `PyGlobal` result is resolved through the policy again. */
  call?(args: readonly unknown[], context: ReconstructContext): unknown;
  /** `global.__new__(global, *args, **kwargs)`: NEWOBJ and NEWOBJ_EX. */
  newObject?(args: readonly unknown[], kwargs: ReadonlyMap<unknown, unknown> | null, context: ReconstructContext): unknown;
  /** BUILD on an object this reconstructor made; returns the object to leave on the stack. */
  setState?(target: unknown, state: unknown, context: ReconstructContext): unknown;
  /** The value GLOBAL pushes when the global is used as data (e.g. an argument); inert by default. */
  readonly reference?: unknown;
  /**
   * After BUILD on an object this reconstructor made: read what the producer wrote into the stream
   * right after that BUILD (joblib writes each array's bytes there) and return the value that takes
   * the object's place. The Machine refuses such a BUILD inside an unfinished frame (the producer's
   * reader would take the bytes from after the frame).
   */
  readAfterBuild?(target: unknown, stream: BuildStream, context: ReconstructContext): unknown;
}

/** The input as `readAfterBuild` sees it: bytes are taken from the position on, each length checked. */
export interface BuildStream {
  /** The whole input. */
  readonly data: Uint8Array;
  /** The offset of the next unread byte (just after the BUILD, until something is taken). */
  readonly pos: number;
  /** Take `n` bytes at the position and return their offset (a TruncatedPickleError when the input has fewer). */
  take(n: number): number;
  /** Read the pickle at the position with a fresh memo (a plain `pickle.load` on the same stream) and return its value. */
  loadPickle(): unknown;
}

/** What a reconstructor may ask of the load in progress. Nothing here calls or imports anything. */
export interface ReconstructContext {
  /** The reconstructor the policy gave for a global this pickle resolved (e.g. a `cls` argument), or undefined. */
  reconstructorOf(global: unknown): Reconstructor | undefined;
  /** Record that `rec` made `value`, so that a later BUILD on it goes to `rec.setState`. */
  made(value: object, rec: Reconstructor): void;
}

/** The capabilities of a reconstructor, without its name. */
export type ReconstructorParts = Omit<Reconstructor, 'module' | 'qualname'>;

/**
 * A reconstructor implementation that packs name by `id`. Built-in ones ship with the library; a
 * host program registers its own. `bind` gives the capabilities for one Python name, so one
 * implementation (the generic object one, say) can serve many names.
 */
export interface ReconstructorDef {
  /** Stable id that pack entries use, e.g. `"datetime.datetime"` or `"object"`. */
  readonly id: string;
  /**
   * What it makes, for people reading the program. Nothing in the library reads it; the built-in
   * reconstructors are described in the README's pack tables and in doc comments where they are defined.
   */
  readonly description?: string;
  bind(module: string, qualname: string): ReconstructorParts;
}

/**
 * What the reconstructor throws when arguments are not what the real Python callable accepts.
 * The VM turns it into a MalformedPickleError at the right offset.
 */
export class ReconstructorArgumentError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReconstructorArgumentError';
  }
}

/**
 * What a reconstructor (or a pack's argument constraint) throws for arguments CPython would accept
 * but the policy will not take: an allocation the pickle sizes (`bytearray(10**10)`), a codec it
 * does not read, a value outside the pack's constraint. The VM turns it into a RefusedGlobalError
 * (a refusal, like a name the policy lacks), never a malformed-input error.
 */
export class ReconstructorUnsupported extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReconstructorUnsupported';
  }
}

/**
 * What a reconstructor throws when the policy does not allow something its arguments name (the
 * class given to `copyreg._reconstructor`, the attribute given to the getattr gate). The VM turns
 * it into a RefusedGlobalError at the right offset, with the entry that would allow it.
 */
export class ReconstructorRefusal extends Error {
  constructor(
    readonly module: string,
    readonly qualname: string,
    readonly use: PolicyUse,
  ) {
    super(`${module}.${qualname} is not allowed for '${use}'`);
    this.name = 'ReconstructorRefusal';
  }
}

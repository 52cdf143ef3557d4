/**
 * A reference to a Python global (`module.qualname`) as data: what GLOBAL / STACK_GLOBAL leave on
 * the stack once the policy has allowed the name. Inert: it holds a name, never a function.
 */
export class PyGlobal {
  constructor(
    readonly module: string,
    readonly qualname: string,
  ) {
    Object.freeze(this);
  }

  toString(): string {
    return `${this.module}.${this.qualname}`;
  }
}

import { IMPORT_MAPPING, NAME_MAPPING } from './compat-data.js';

/** The name CPython looks up for `module.name` from a protocol 0-2 pickle with fix_imports on. */
export function fixImport(module: string, name: string): [string, string] {
  const renamed = Object.hasOwn(NAME_MAPPING, `${module} ${name}`) ? NAME_MAPPING[`${module} ${name}`] : undefined;
  if (renamed !== undefined) return [renamed[0], renamed[1]];
  const mod = Object.hasOwn(IMPORT_MAPPING, module) ? IMPORT_MAPPING[module] : undefined;
  return [mod ?? module, name];
}

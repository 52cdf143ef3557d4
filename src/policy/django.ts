/**
 * Django model instances: `django.db.models.base.model_unpickle((app_label, model_name))`, then BUILD
 * with the instance's `__dict__`. Models are the application's, so the host lists the ones it
 * allows; each loads as an inert `PyObject` record (its args the model id, its state the fields and
 * `_state`), and any other model is refused. Nothing is looked up in an app registry or a database.
 */
import { PyGlobal } from '../model/global.js';
import { PyObject } from '../model/object.js';
import { PyTuple } from '../model/tuple.js';
import { shippedPack } from './default.js';
import { createPolicy, type BuiltPolicy } from './registry.js';
import type { LoadedPack } from './pack.js';
import { ReconstructorArgumentError, ReconstructorRefusal, type ReconstructorParts } from './types.js';

/** A model as `app_label.ModelName` or `[app_label, model_name]`; model names compare case-insensitively, as Django's app registry does. */
export type DjangoModelName = string | readonly [string, string];

const MODEL_UNPICKLE = new PyGlobal('django.db.models.base', 'model_unpickle');

function key(model: DjangoModelName): string {
  const [app, name] = typeof model === 'string' ? [model.slice(0, model.lastIndexOf('.')), model.slice(model.lastIndexOf('.') + 1)] : model;
  if (!app || !name) throw new TypeError(`a Django model is 'app_label.ModelName' or [app_label, model_name], got ${JSON.stringify(model)}`);
  return `${app}\n${name.toLowerCase()}`;
}

/**
 * The registration that lets `model_unpickle` make records of `models` only:
 * `createPolicy({ packs: [shippedPack('django')], register: djangoModels(['auth.Group']) })`.
 */
export function djangoModels(models: readonly DjangoModelName[]): Record<string, ReconstructorParts> {
  const allowed = new Set(models.map(key));
  const parts: ReconstructorParts = {
    call(args) {
      const id = args[0];
      if (args.length !== 1 || !(id instanceof PyTuple) || id.length !== 2 || typeof id[0] !== 'string' || typeof id[1] !== 'string') {
        throw new ReconstructorArgumentError('model_unpickle takes one (app_label, model_name) tuple of strs');
      }
      if (!allowed.has(`${id[0]}\n${id[1].toLowerCase()}`)) throw new ReconstructorRefusal(id[0], id[1], 'call');
      return new PyObject(MODEL_UNPICKLE, args, 'call');
    },
    setState(target, state) {
      if (!(target instanceof PyObject) || target.state !== undefined) throw new ReconstructorArgumentError('state applies once, to a new model record');
      if (!(state instanceof Map)) throw new ReconstructorArgumentError("a model's state is its __dict__, a dict");
      target.state = state;
      return target;
    },
  };
  return { 'django.db.models.base.model_unpickle': parts };
}

export interface DjangoPolicyOptions {
  /** The models whose instances may load, as records. Default none. */
  readonly models?: readonly DjangoModelName[];
  /** More packs (the application's own classes). */
  readonly packs?: readonly LoadedPack[];
  readonly name?: string;
}

/** A policy for what Django caches: the shipped `django` pack (with python-stdlib) and the listed models. */
export function djangoPolicy(options: DjangoPolicyOptions = {}): BuiltPolicy {
  return createPolicy({
    name: options.name ?? 'django',
    packs: [shippedPack('python-stdlib') as LoadedPack, shippedPack('django') as LoadedPack, ...(options.packs ?? [])],
    register: djangoModels(options.models ?? []),
  });
}

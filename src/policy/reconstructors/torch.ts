/**
 * Reconstructors for the `pytorch-state-dict` pack: what `torch.save(model.state_dict())` pickles,
 * rebuilt as data. Storages come from the checkpoint's `data/<key>` members through the
 * persistentLoad that `loadTorch` passes (see src/containers/torch-load.ts); tensors are strided
 * views of them, every element they address checked to lie inside the storage.
 */
import { PyGlobal } from '../../model/global.js';
import { retype, TORCH_DTYPE_NAMES, TorchDevice, TorchStorage, TorchTensor } from '../../model/tensor.js';
import { PyTuple } from '../../model/tuple.js';
import type { ReconstructorDef } from '../types.js';
import { arity, describe, fail, mustBe, bool, fixed } from './check.js';

/** At most this many dimensions (PyTorch's own limit is 64 too, for CPU tensors in practice far fewer). */
const MAX_DIMS = 64;

function ints(what: string, v: unknown, allowNegative = false): number[] {
  if (!(v instanceof PyTuple) && !Array.isArray(v)) return mustBe(what, 'a tuple', v);
  const items = v as readonly unknown[];
  if (items.length > MAX_DIMS) fail(`${what} has ${items.length} dimensions, more than ${MAX_DIMS}`);
  return items.map((x) => {
    if (typeof x !== 'number' || !Number.isSafeInteger(x) || (!allowNegative && x < 0)) {
      return fail(`${what} must hold ${allowNegative ? '' : 'non-negative '}integers, the pickle gave ${typeof x === 'bigint' ? x.toString() : describe(x)}`);
    }
    return x;
  });
}


/** Backward hooks must be an empty OrderedDict: hooks are functions, which a state dict never holds. */
function noHooks(v: unknown): void {
  if (!(v instanceof Map) || v.size !== 0) fail(`backward_hooks must be an empty OrderedDict, the pickle gave ${describe(v)}${v instanceof Map ? ` of ${v.size}` : ''}`);
}

/**
 * The checks `torch.Tensor.set_` makes, without overflow: the largest element index a strided view
 * addresses, offset + Σ (size_i - 1) × stride_i, lies inside the storage (nothing is checked for
 * an empty tensor, as in PyTorch).
 */
export function checkView(storage: TorchStorage, offset: number, shape: readonly number[], stride: readonly number[]): void {
  if (shape.length !== stride.length) fail(`a tensor of ${shape.length} dimensions has ${stride.length} strides`);
  if (shape.includes(0)) return;
  let last = offset;
  for (let i = 0; i < shape.length; i++) {
    last += (shape[i]! - 1) * stride[i]!;
    if (!Number.isSafeInteger(last)) fail('the tensor addresses elements beyond 2**53');
  }
  if (offset >= storage.numel || last >= storage.numel) {
    fail(`a tensor of size (${shape.join(', ')}), stride (${stride.join(', ')}) at offset ${offset} reaches element ${Math.max(offset, last)} of a storage of ${storage.numel}`);
  }
}

/** A dtype as torch pickles it: the global `torch.<name>`. */
function dtypeOf(v: unknown): TorchTensor['dtype'] {
  const dtype = v instanceof PyGlobal && v.module === 'torch' ? TORCH_DTYPE_NAMES.get(v.qualname) : undefined;
  return dtype ?? fail(`_rebuild_tensor_v3() needs a torch dtype, the pickle gave ${v instanceof PyGlobal ? `${v.module}.${v.qualname}` : describe(v)}`);
}

/**
 * `torch._utils._rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])`,
 * and v3, which adds the dtype before the metadata: the storage (untyped in torch 2.x) is seen as that dtype.
 */
function rebuildTensor(args: readonly unknown[], v3 = false): TorchTensor {
  const name = v3 ? '_rebuild_tensor_v3' : '_rebuild_tensor_v2';
  arity(name, args, v3 ? 7 : 6, v3 ? 8 : 7);
  const [given, offsetArg, sizeArg, strideArg, requiresGrad, hooks] = args;
  const metadata = args[v3 ? 7 : 6];
  if (!(given instanceof TorchStorage)) return fail(`${name}() needs a storage (a persistent id), the pickle gave ${describe(given)}`);
  const storage = v3 ? retype(given, dtypeOf(args[6])) : given;
  if (typeof offsetArg !== 'number' || !Number.isSafeInteger(offsetArg) || offsetArg < 0) return mustBe('the storage offset', 'a non-negative integer', offsetArg);
  const shape = ints('the tensor size', sizeArg);
  const stride = ints('the tensor stride', strideArg);
  checkView(storage, offsetArg, shape, stride);
  noHooks(hooks);
  if (metadata !== undefined && metadata !== null && !(metadata instanceof Map)) mustBe('tensor metadata', 'a dict', metadata);
  return new TorchTensor(storage, offsetArg, shape, stride, bool('requires_grad', requiresGrad), metadata ?? null);
}

/** torch._utils._rebuild_tensor_v2 → TorchTensor over a checkpoint storage, bounds checked */
const tensorV2 = fixed('torch._utils._rebuild_tensor_v2', {
  call: (args) => rebuildTensor(args),
});

/** torch._utils._rebuild_tensor_v3 → TorchTensor of the given dtype over a checkpoint storage, bounds checked */
const tensorV3 = fixed('torch._utils._rebuild_tensor_v3', {
  call: (args) => rebuildTensor(args, true),
});

/** A parameter's `_get_obj_state`: its `__dict__`, or a (`__dict__`, slots) pair. */
function parameterState(v: unknown): unknown {
  const dictOrNone = (x: unknown) => x === null || x instanceof Map;
  if (v instanceof Map || (v instanceof PyTuple && v.length === 2 && dictOrNone(v[0]) && dictOrNone(v[1]))) return v;
  return mustBe(`a parameter's state`, 'a dict or a (dict, dict) pair', v);
}

/** torch._utils._rebuild_parameter_with_state(data, requires_grad, backward_hooks, state) → TorchTensor marked as a parameter, its state kept as data */
const parameterWithState = fixed('torch._utils._rebuild_parameter_with_state', {
  call(args) {
    arity('_rebuild_parameter_with_state', args, 4, 4);
    const [data, requiresGrad, hooks, state] = args;
    if (!(data instanceof TorchTensor)) return fail(`_rebuild_parameter_with_state() needs a tensor, the pickle gave ${describe(data)}`);
    noHooks(hooks);
    return new TorchTensor(data.storage, data.storageOffset, data.shape, data.stride, bool('requires_grad', requiresGrad), data.metadata, true, parameterState(state));
  },
});

/** torch.device(type[, index]) → TorchDevice (a label: 'cpu', 'cuda:0') */
const device = fixed('torch.device', {
  call(args) {
    arity('device', args, 1, 2);
    const [type, index] = args;
    if (typeof type !== 'string' || type.length > 64) return fail(`torch.device() needs a short str, the pickle gave ${describe(type)}`);
    if (index !== undefined && index !== null && (typeof index !== 'number' || !Number.isSafeInteger(index) || index < -1)) {
      return mustBe('a device index', 'an int', index);
    }
    return new TorchDevice(type, index ?? null);
  },
});

/** torch._utils._rebuild_parameter(data, requires_grad, backward_hooks) → TorchTensor marked as a parameter */
const parameter = fixed('torch._utils._rebuild_parameter', {
  call(args) {
    arity('_rebuild_parameter', args, 3, 3);
    const [data, requiresGrad, hooks] = args;
    if (!(data instanceof TorchTensor)) return fail(`_rebuild_parameter() needs a tensor, the pickle gave ${describe(data)}`);
    noHooks(hooks);
    return new TorchTensor(data.storage, data.storageOffset, data.shape, data.stride, bool('requires_grad', requiresGrad), data.metadata, true);
  },
});

/** torch.Size((d0, d1, …)) → a tuple of non-negative ints */
const size = fixed('torch.Size', {
  call(args) {
    arity('Size', args, 0, 1);
    return PyTuple.fromArray(args.length === 0 ? [] : ints('torch.Size', args[0]));
  },
});

export const TORCH_DEFS: readonly ReconstructorDef[] = [tensorV2, tensorV3, parameter, parameterWithState, size, device];

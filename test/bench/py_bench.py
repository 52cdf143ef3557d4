"""CPython side of the pickleguard benchmark (driven by run.mjs; prints one JSON document).

Usage:
  py_bench.py info [MODULE…]          versions, whether pickle uses the C accelerator, and each module's
                                      version (or why it does not import)
  py_bench.py make  < specs.json      build each workload value, write one pickle per protocol
  py_bench.py time loads|dumps '<json>'  time pickle.loads of a file, or pickle.dumps of its value:
                                        {"path", "protocol", "method": "steady"|"forced-gc", "warmup",
                                        "warmupS", "samples", "sampleS", "reps", "budgetS", "fast"}
  py_bench.py mem  loads|dumps '<json>'  peak-RSS growth of one such call: {"path", "protocol"}
"""

import gc
import hashlib
import io
import json
import pickle
import platform
import resource
import statistics
import sys
import time


def build_value(spec):
    ns = {}
    if spec.get("setup"):
        exec(spec["setup"], ns)
    return eval(spec["expr"], ns)


def module_versions(names):
    out = {}
    for name in names:
        try:
            out[name] = {"version": getattr(__import__(name), "__version__", "?")}
        except Exception as e:  # noqa: BLE001 - the reason is printed by run.mjs
            out[name] = {"error": f"{type(e).__name__}: {e}"}
    return out


def cmd_info(modules=()):
    try:
        import _pickle

        accelerated = pickle.loads is _pickle.loads
    except ImportError:
        accelerated = False
    return {
        "version": platform.python_version(),
        "implementation": platform.python_implementation(),
        "executable": sys.executable,
        "c_unpickler": accelerated,
        "gc_enabled": gc.isenabled(),
        "modules": module_versions(modules),
    }


def cmd_make(specs):
    out = []
    for spec in specs:
        t0 = time.perf_counter()
        value = build_value(spec)
        built = time.perf_counter() - t0
        files = []
        for item in spec["pickles"]:
            t1 = time.perf_counter()
            data = pickle.dumps(value, protocol=item["protocol"])
            dumped = time.perf_counter() - t1
            with open(item["path"], "wb") as f:
                f.write(data)
            files.append({"protocol": item["protocol"], "path": item["path"], "size": len(data), "dump_s": dumped})
            del data
        out.append({"name": spec["name"], "build_s": built, "files": files})
        del value
        gc.collect()
    return out


def read_file(path):
    with open(path, "rb") as f:
        return f.read()


def warm_up(fn, warmup, warmup_s):
    """Untimed calls: at least `warmup`, and until `warmup_s` seconds have passed (as on the Node side)."""
    start = time.perf_counter()
    done = 0
    while done < warmup or time.perf_counter() - start < warmup_s:
        fn()
        done += 1


def minor_faults():
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt


def summary(samples):
    pick = lambda k: [s[k] for s in samples]
    return {
        "median_ms": statistics.median(pick("wall_ms")),
        "min_ms": min(pick("wall_ms")),
        "cpu_ms": statistics.median(pick("cpu_ms")),
        "faults": statistics.median(pick("faults")),
        "calls": sum(pick("calls")),
        "samples": samples,
    }


def steady_runs(fn, args):
    """Steady state: `samples` loops of calls, each lasting at least `sampleS` seconds, every result
    dropped before the next call; no forced collection (the cyclic GC runs as it does by default).
    Per call: wall time, process CPU time (time.process_time) and minor page faults."""
    warm_up(fn, args.get("warmup", 1), args.get("warmupS", 0.5))
    out = []
    sample_s = args.get("sampleS", 0.25)
    for _ in range(args.get("samples", 5)):
        f0 = minor_faults()
        c0 = time.process_time()
        t0 = time.perf_counter()
        calls = 0
        while True:
            fn()
            calls += 1
            t1 = time.perf_counter()
            if t1 - t0 >= sample_s:
                break
        c1 = time.process_time()
        f1 = minor_faults()
        out.append({"wall_ms": (t1 - t0) * 1000.0 / calls, "cpu_ms": (c1 - c0) * 1000.0 / calls, "faults": (f1 - f0) / calls, "calls": calls})
    return summary(out)


def forced_gc_runs(fn, args):
    """Today's method: `reps` calls, each timed alone after gc.collect() (the previous result dropped
    first), stopping early past budgetS. The cyclic GC stays enabled during a call, as by default."""
    warm_up(fn, args.get("warmup", 1), args.get("warmupS", 0.5))
    reps = args["reps"]
    out = []
    start = time.perf_counter()
    for _ in range(reps):
        gc.collect()
        f0 = minor_faults()
        c0 = time.process_time()
        t0 = time.perf_counter()
        result = fn()
        t1 = time.perf_counter()
        c1 = time.process_time()
        f1 = minor_faults()
        del result
        out.append({"wall_ms": (t1 - t0) * 1000.0, "cpu_ms": (c1 - c0) * 1000.0, "faults": f1 - f0, "calls": 1})
        if len(out) >= min(3, reps) and time.perf_counter() - start > args.get("budgetS", 20):
            break
    gc.collect()
    return summary(out)


def timed_runs(fn, args):
    return forced_gc_runs(fn, args) if args.get("method") == "forced-gc" else steady_runs(fn, args)


def call_of(op, args):
    """The call to time: pickle.loads of the file, or pickle.dumps of the value pickle.loads gives
    for it (what our side dumps too), at the pickle's protocol; `fast` uses a Pickler with fast set."""
    data = read_file(args["path"])
    if op == "loads":
        loads = pickle.loads
        return lambda: loads(data)
    if op == "dumps":
        value = pickle.loads(data)
        protocol = args["protocol"]
        if args.get("fast"):
            def fast_dumps():
                f = io.BytesIO()
                p = pickle.Pickler(f, protocol)
                p.fast = True
                p.dump(value)
                return f.getvalue()
            return fast_dumps
        dumps = pickle.dumps
        return lambda: dumps(value, protocol=protocol)
    raise SystemExit(f"unknown op {op!r}")


def cmd_time(op, args):
    out = {"default": timed_runs(call_of(op, {**args, "fast": False}), args)}
    if op == "dumps" and args.get("fast"):
        fast = call_of(op, {**args, "fast": True})
        out["fast"] = timed_runs(fast, args)
        out["fast_sha256"] = hashlib.sha256(fast()).hexdigest()  # our fast bytes are compared with these
    return out


def maxrss_kib():
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss // 1024 if sys.platform == "darwin" else rss  # bytes on macOS, KiB on Linux


def cmd_mem(op, args):
    if args.get("setup"):
        exec(args["setup"], {})  # the workload's imports (numpy) are not counted as the call's growth
    fn = call_of(op, args)
    before = maxrss_kib()
    result = fn()
    after = maxrss_kib()
    del result
    return {"before_kib": before, "after_kib": after, "growth_kib": after - before}


def main(argv):
    if len(argv) >= 1 and argv[0] == "info":
        res = cmd_info(argv[1:])
    elif len(argv) >= 1 and argv[0] == "make":
        res = cmd_make(json.loads(sys.stdin.buffer.read().decode("utf-8")))
    elif len(argv) == 3 and argv[0] == "time":
        res = cmd_time(argv[1], json.loads(argv[2]))
    elif len(argv) == 3 and argv[0] == "mem":
        res = cmd_mem(argv[1], json.loads(argv[2]))
    else:
        raise SystemExit(__doc__)
    sys.stdout.write(json.dumps(res) + "\n")


if __name__ == "__main__":
    main(sys.argv[1:])

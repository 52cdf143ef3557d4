"""CPython side of the pickleguard benchmark (driven by run.mjs; prints one JSON document).

Usage:
  py_bench.py info                    versions, and whether pickle uses the C accelerator
  py_bench.py make  < specs.json      build each workload value, write one pickle per protocol
  py_bench.py time loads '<json>'     time pickle.loads of a file: {"path", "reps", "warmup", "budget_s"}
  py_bench.py mem  loads '<json>'     peak-RSS growth of one pickle.loads of a file: {"path"}

"dumps" (pickle.dumps of the evaluated workload expression) is meant to be added next to "loads".
"""

import gc
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


def cmd_info():
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


def timed_runs(fn, reps, warmup, budget_s, warmup_s=0.0):
    """Median of up to `reps` timed calls (at least 3 unless reps < 3), stopping early past budget_s.

    Before them, `warmup` untimed calls that go on until `warmup_s` seconds have passed (as on the
    Node side). The cyclic GC stays enabled during a call (CPython's default); a full collection
    runs between calls, after the previous result is dropped, like global.gc() on the Node side.
    """
    warm_start = time.perf_counter()
    done = 0
    while done < warmup or time.perf_counter() - warm_start < warmup_s:
        result = fn()
        del result
        done += 1
    times = []
    start = time.perf_counter()
    for _ in range(reps):
        gc.collect()
        t0 = time.perf_counter()
        result = fn()
        t1 = time.perf_counter()
        del result
        times.append((t1 - t0) * 1000.0)
        if len(times) >= min(3, reps) and time.perf_counter() - start > budget_s:
            break
    gc.collect()
    return {"median_ms": statistics.median(times), "min_ms": min(times), "reps": len(times), "times_ms": times}


def cmd_time(op, args):
    if op == "loads":
        data = read_file(args["path"])
        loads = pickle.loads
        return timed_runs(lambda: loads(data), args["reps"], args["warmup"], args["budget_s"], args.get("warmup_s", 0.0))
    if op == "dumps":
        # The value pickle.loads gives for the workload's pickle (what our side dumps too).
        value = pickle.loads(read_file(args["path"]))
        protocol = args["protocol"]
        dumps = pickle.dumps
        return timed_runs(lambda: dumps(value, protocol=protocol), args["reps"], args["warmup"], args["budget_s"], args.get("warmup_s", 0.0))
    raise SystemExit(f"unknown op {op!r}")


def maxrss_kib():
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss // 1024 if sys.platform == "darwin" else rss  # bytes on macOS, KiB on Linux


def cmd_mem(op, args):
    if op == "loads":
        data = read_file(args["path"])
        before = maxrss_kib()
        result = pickle.loads(data)
        after = maxrss_kib()
        del result
        return {"before_kib": before, "after_kib": after, "growth_kib": after - before}
    raise SystemExit(f"unknown op {op!r}")


def main(argv):
    if len(argv) >= 1 and argv[0] == "info":
        res = cmd_info()
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

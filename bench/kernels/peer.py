"""PyTorch peer of bench/kernels: the same attention and fused-loss cases on the CPU, timed the same way.

    python peer.py attention T H HKV HD RUNS   -> {"seconds": median wall, "cpu_seconds": median CPU time}
    python peer.py attention-bf16 T H HKV HD RUNS  -> the same under torch.autocast("cpu", bfloat16), with the
                                                   dtype sdpa ran in ("out_dtype")
    python peer.py loss T D V RUNS             -> the same for the loss
    python peer.py loss-memory T D V           -> {"peak_extra_bytes": ...} (run in a fresh process)

Threads come from the environment (the runner sets 2, with OMP_WAIT_POLICY=PASSIVE).
"""
import json
import os
import sys
import time

import torch
import torch.nn.functional as F

torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "2")))
torch.manual_seed(0)


def median(xs):
    s = sorted(xs)
    return s[len(s) // 2]


def timed(step, runs):
    for _ in range(2):
        step()
    wall, cpu = [], []
    for _ in range(runs):
        t0, c0 = time.perf_counter(), time.process_time()
        step()
        wall.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return {"seconds": median(wall), "cpu_seconds": median(cpu)}


def attention(t, h, hkv, hd, runs, bf16=False):
    q = torch.randn(1, h, t, hd, requires_grad=True)
    k = torch.randn(1, hkv, t, hd, requires_grad=True)
    v = torch.randn(1, hkv, t, hd, requires_grad=True)
    d_out = torch.randn(1, h, t, hd)
    dtypes = []

    def step():
        q.grad = k.grad = v.grad = None
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            out = F.scaled_dot_product_attention(q, k, v, is_causal=True, enable_gqa=True)
        dtypes.append(str(out.dtype))
        out.backward(d_out.to(out.dtype))

    result = timed(step, runs)
    result["out_dtype"] = dtypes[-1]
    return result


def attention_bf16(t, h, hkv, hd, runs):
    return attention(t, h, hkv, hd, runs, bf16=True)


def loss_inputs(t, d, v):
    h = torch.randn(t, d, requires_grad=True)
    w = torch.randn(v, d) * 0.05
    targets = torch.randint(0, v, (t,))
    targets[::7] = -100
    return h, w, targets


def loss_step(h, w, targets):
    h.grad = None
    logits = h @ w.t()  # the [T, V] matrix a plain implementation materializes
    F.cross_entropy(logits, targets, reduction="sum", ignore_index=-100).backward()


def loss(t, d, v, runs):
    h, w, targets = loss_inputs(t, d, v)
    return timed(lambda: loss_step(h, w, targets), runs)


def status_kib(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"no {field} in /proc/self/status")


def loss_memory(t, d, v):
    """Peak RSS during one step minus the RSS just before it (inputs already resident). Writing 5 to
    clear_refs resets the kernel's peak-RSS mark, so earlier peaks (imports, input setup) do not count."""
    h, w, targets = loss_inputs(t, d, v)
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")
    before = status_kib("VmRSS")
    loss_step(h, w, targets)
    return {"peak_extra_bytes": (status_kib("VmHWM") - before) * 1024}


def main():
    mode, *nums = sys.argv[1:]
    n = [int(x) for x in nums]
    result = {"attention": attention, "attention-bf16": attention_bf16, "loss": loss, "loss-memory": loss_memory}[mode](*n)
    result["torch"] = torch.__version__
    result["threads"] = torch.get_num_threads()
    print(json.dumps(result))


if __name__ == "__main__":
    main()

"""gguf-py peer of bench/ggml-codecs: gguf.quants (numpy) on the same data, timed the same way.

    python peer.py DIR TYPE ROWS COLS RUNS -> {"dequantize_seconds": ..., "quantize_seconds": ... | null}

DIR holds values.f32 (ROWS x COLS float32, the bench's input) and TYPE.bin (loraforge's encoding of it).
quantize is timed only for the types gguf-py can encode. numpy runs these on one thread.
"""
import json
import sys
import time
from importlib.metadata import version
from pathlib import Path

import numpy as np
from gguf import GGMLQuantizationType
from gguf import quants

ENCODABLE = {"F32", "F16", "BF16", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q8_0"}


def median(xs):
    s = sorted(xs)
    return s[len(s) // 2]


def timed(step, runs):
    for _ in range(2):
        step()
    wall = []
    for _ in range(runs):
        t0 = time.perf_counter()
        step()
        wall.append(time.perf_counter() - t0)
    return median(wall)


def main():
    folder, name, rows, cols, runs = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
    qtype = GGMLQuantizationType[name]
    values = np.fromfile(folder / "values.f32", dtype="<f4").reshape(rows, cols)
    data = np.fromfile(folder / f"{name}.bin", dtype=np.uint8).reshape(rows, -1)
    result = {
        "gguf": version("gguf"),
        "numpy": np.__version__,
        "dequantize_seconds": timed(lambda: quants.dequantize(data, qtype), runs),
        "quantize_seconds": timed(lambda: quants.quantize(values, qtype), runs) if name in ENCODABLE else None,
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()

"""Golden ggml block codecs from the PyPI `gguf` package, re-checked by `npm test` without Python.

For every ggml type loraforge decodes, random blocks (f16 scale fields kept finite) and gguf.quants.dequantize's
float32 output; for the types gguf-py can encode (F32, F16, BF16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0), inputs and
gguf.quants.quantize's bytes. Arrays are stored as base64 of their little-endian bytes so every float32 bit
(−0, subnormals, NaN) survives JSON. Writes test/golden/ggml_quants.json; test/quant/ggml-golden.test.ts reads it.

Run: interop/.venv/bin/python interop/steps/40_ggml_quants.py   (from the repository root)
"""

import base64
import json
from importlib.metadata import version
from pathlib import Path

import numpy as np
from gguf import GGMLQuantizationType as T
from gguf import quants

ROOT = Path(__file__).resolve().parent.parent.parent
OUT = ROOT / "test" / "golden" / "ggml_quants.json"

# (type, blocks to decode, byte offsets of its f16 scale fields) — layouts in docs/formats/ggml-quants.md.
DECODE = [
    (T.F32, 64, []), (T.F16, 64, []), (T.BF16, 64, []),
    (T.Q4_0, 6, [0]), (T.Q4_1, 6, [0, 2]), (T.Q5_0, 6, [0]), (T.Q5_1, 6, [0, 2]), (T.Q8_0, 6, [0]),
    (T.Q2_K, 3, [80, 82]), (T.Q3_K, 3, [108]), (T.Q4_K, 3, [0, 2]), (T.Q5_K, 3, [0, 2]), (T.Q6_K, 3, [208]),
]
ENCODE = [T.F32, T.F16, T.BF16, T.Q4_0, T.Q4_1, T.Q5_0, T.Q5_1, T.Q8_0]


def b64(array):
    return base64.b64encode(np.ascontiguousarray(array).tobytes()).decode("ascii")


def random_blocks(rng, qtype, blocks, scale_fields):
    block_size, type_size = quants.GGML_QUANT_SIZES[qtype]
    data = rng.integers(0, 256, size=blocks * type_size, dtype=np.uint8)
    for b in range(blocks):
        for at in scale_fields:
            hi = b * type_size + at + 1
            if (data[hi] >> 2) & 31 == 31:  # f16 exponent 31 (Inf/NaN) -> 15
                data[hi] ^= 0x40
    return data


def encode_inputs(rng):
    """Edge-case blocks of 32 (zeros, signed zeros, constants, ties, tiny and large scales) then random ones."""
    rows = [
        np.zeros(32), np.where(np.arange(32) % 2 == 1, -0.0, 0.0), np.full(32, 0.75), np.full(32, -3.25),
        np.where(np.arange(32) == 5, -8.0, (np.arange(32) % 17) * 0.5 - 4),
        np.array([15.0, 0.0] + [0.49999997, 0.5, 1.5, 14.5, 7.49999952] * 6),
        np.array([31.0, 0.0] + [0.49999997, 2.5, 30.5, 15.5] * 7 + [0.5, 2.5]),
        np.array([127.0, -127.0] + [2.5, -2.5, 0.5, -0.5, 126.5, -126.5] * 5),
        np.arange(1, 33) * 1e-7,
    ]
    rows += [rng.normal(size=32) * s for s in (1.0, 0.02, 300.0) for _ in range(5)]  # 24 blocks: whole rows of 64
    return np.concatenate(rows).astype(np.float32)


def main():
    rng = np.random.default_rng(20261201)
    decode = {}
    for qtype, blocks, fields in DECODE:
        data = random_blocks(rng, qtype, blocks, fields)
        if qtype in (T.F16, T.BF16):
            # Zeros, subnormals, the largest finite, infinities and NaN patterns among the random ones.
            specials = np.array([0x0000, 0x8000, 0x0001, 0x03FF, 0x0400, 0x7BFF, 0x7C00, 0xFC00, 0x7E00, 0x7F80, 0xFF80],
                                dtype="<u2")
            data[: specials.nbytes] = specials.view(np.uint8)
        values = quants.dequantize(data, qtype).astype("<f4")
        decode[qtype.name] = {"count": int(values.size), "bytes": b64(data), "values": b64(values)}
    encode = {}
    inputs = encode_inputs(rng)
    for qtype in ENCODE:
        encoded = quants.quantize(inputs.reshape(-1, 64), qtype)
        encode[qtype.name] = {"rowLength": 64, "bytes": b64(encoded.view(np.uint8))}
    golden = {
        "source": f"gguf {version('gguf')} (PyPI), numpy {np.__version__}: gguf.quants.dequantize / quantize",
        "decode": decode,
        "encode": {"inputs": b64(inputs), "types": encode},
    }
    OUT.write_text(json.dumps(golden, indent=1) + "\n")
    print(f"wrote {OUT.relative_to(ROOT)}: {len(decode)} decoded types, {len(encode)} encoded types")


if __name__ == "__main__":
    main()

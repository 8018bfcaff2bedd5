"""gguf-py peer of bench/export: what llama.cpp's converter does after loading a model, on the same source.

    python peer.py SOURCE.gguf OUT.gguf TYPE RUNS -> {"seconds": median, ...}

Reads every tensor of SOURCE (a GGUF, memory-mapped), dequantizes it with gguf.quants, quantizes it to TYPE
(F16 or Q8_0; 1-D tensors stay F32, as the converter keeps them) and writes OUT with gguf.GGUFWriter. Only
general.architecture is copied into the metadata (the tensors are the cost). numpy runs on one thread.
"""
import json
import sys
import time
from importlib.metadata import version

import numpy as np
from gguf import GGMLQuantizationType, GGUFReader, GGUFWriter, quants


def convert(source, out, qtype):
    reader = GGUFReader(source)
    writer = GGUFWriter(out, "llama")
    for t in reader.tensors:
        shape = [int(x) for x in reversed(t.shape.tolist())]
        values = quants.dequantize(t.data, t.tensor_type).reshape(shape).astype(np.float32)
        if len(shape) == 1:
            writer.add_tensor(t.name, values)
        else:
            data = quants.quantize(values, qtype)
            writer.add_tensor(t.name, data, raw_dtype=qtype)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()


def main():
    source, out, name, runs = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    qtype = GGMLQuantizationType[name]
    wall = []
    for _ in range(runs):
        t0 = time.perf_counter()
        convert(source, out, qtype)
        wall.append(time.perf_counter() - t0)
    wall.sort()
    print(json.dumps({"gguf": version("gguf"), "numpy": np.__version__, "seconds": wall[len(wall) // 2]}))


if __name__ == "__main__":
    main()

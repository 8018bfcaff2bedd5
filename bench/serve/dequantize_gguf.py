"""Rewrites a GGUF model at another precision for bench/serve's llama.cpp peer: every 2-D weight dequantized and
stored as F32 or BF16 (1-D tensors, the norms, stay F32), all metadata copied. The same weights then run in
llama.cpp at the precision loraforge computes in, so the two sides read the same bytes per token.

    python dequantize_gguf.py IN.gguf OUT.gguf f32|bf16        (needs PyPI `gguf` and numpy)
"""
import sys

import gguf
import numpy as np

SKIP = {"GGUF.version", "GGUF.tensor_count", "GGUF.kv_count", "general.architecture", "general.file_type"}
FILE_TYPE = {"f32": 0, "bf16": 32}  # llama.cpp's LLAMA_FTYPE_ALL_F32 / LLAMA_FTYPE_MOSTLY_BF16


def main(src: str, dst: str, precision: str) -> None:
    reader = gguf.GGUFReader(src)
    arch = reader.fields["general.architecture"].contents()
    writer = gguf.GGUFWriter(dst, arch)
    for name, field in reader.fields.items():
        if name in SKIP:
            continue
        sub_type = field.types[-1] if field.types[0] == gguf.GGUFValueType.ARRAY else None
        writer.add_key_value(name, field.contents(), field.types[0], sub_type)
    writer.add_uint32("general.file_type", FILE_TYPE[precision])
    for t in reader.tensors:
        values = gguf.quants.dequantize(t.data, t.tensor_type).astype(np.float32)
        values = values.reshape([int(d) for d in reversed(t.shape)])
        if precision == "bf16" and values.ndim == 2:
            writer.add_tensor(t.name, gguf.quants.quantize(values, gguf.GGMLQuantizationType.BF16), raw_dtype=gguf.GGMLQuantizationType.BF16)
        else:
            writer.add_tensor(t.name, values)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()


if __name__ == "__main__":
    main(*sys.argv[1:4])

"""Re-encode a GGUF file so that OpenVINO GenAI's GGUF reader accepts it: every quantized 2-D weight as Q8_0.

The embedded presets are Q4_K_M files that mix Q5_0, Q4_K, Q6_K and Q8_0 tensors; OpenVINO reads only some
of those types. Q8_0 keeps more precision than any of them, so re-encoding loses nothing measurable, and
OpenVINO then runs int8 weights. Metadata (architecture, tokenizer, chat template) is copied unchanged.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

_Q8_BLOCK = 32


def requantize_to_q8(src: Path, dst: Path) -> dict[str, int]:
    """Write ``dst`` from ``src`` with quantized weights as Q8_0; returns tensor counts per written type."""
    from gguf import GGMLQuantizationType as Q
    from gguf import GGUFReader, GGUFValueType, GGUFWriter, quants

    reader = GGUFReader(src)
    arch = reader.fields["general.architecture"].contents()
    writer = GGUFWriter(dst, arch)
    for name, field in reader.fields.items():
        if name.startswith("GGUF.") or name == "general.architecture":
            continue
        vtype = field.types[0]
        sub = field.types[-1] if vtype == GGUFValueType.ARRAY and len(field.types) > 1 else None
        writer.add_key_value(name, field.contents(), vtype, sub_type=sub)
    counts: dict[str, int] = {}
    for t in reader.tensors:
        kind = t.tensor_type
        if kind in (Q.F32, Q.F16) and len(t.shape) < 2:
            data, out = np.array(t.data), kind
            writer.add_tensor(t.name, data, raw_shape=data.shape, raw_dtype=kind)
        elif kind == Q.Q8_0:
            out = kind
            writer.add_tensor(t.name, np.array(t.data), raw_dtype=kind)
        else:
            dense = quants.dequantize(t.data, kind).astype(np.float32)
            if dense.shape[-1] % _Q8_BLOCK == 0:
                out = Q.Q8_0
                writer.add_tensor(t.name, quants.quantize(dense, Q.Q8_0), raw_dtype=Q.Q8_0)
            else:
                out = Q.F16
                half = dense.astype(np.float16)
                writer.add_tensor(t.name, half, raw_shape=half.shape, raw_dtype=Q.F16)
        counts[out.name] = counts.get(out.name, 0) + 1
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return counts

// Rewrites a GGUF file with its matrices in another ggml type, as llama.cpp's quantizer does: the same metadata and
// tensors, each matrix whose rows divide into the type's blocks quantized from its float32 values, the rest
// (norms, and rows of other widths) kept as float32. This makes real-weight files of every type from the bundled
// model.

import { writeFileSync } from "node:fs";
import { loadGguf } from "../../runtime/formats/gguf.js";
import { QUANTIZED_BLOCKS, type QuantizedTypeName } from "./ggml-quantize.js";
import { writeGguf, type GgufTensorSpec } from "./gguf-writer.js";

export async function requantizeGguf(from: string, to: string, type: QuantizedTypeName): Promise<void> {
  const file = await loadGguf(from);
  const tensors: GgufTensorSpec[] = [...file.tensors.values()].map((info) => {
    const quantize = info.dims.length === 2 && info.dims[0]! % QUANTIZED_BLOCKS[type].elements === 0;
    return { name: info.name, dims: info.dims, type: quantize ? type : "F32", values: file.tensorF32(info.name) };
  });
  writeFileSync(to, writeGguf({ metadata: file.metadata, tensors }));
}

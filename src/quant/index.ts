// The public face of src/quant: bitsandbytes 4-bit (NF4/FP4) weights, between src/tensor and src/model.
export type { Quant4Type } from "./codebooks.js";
export { FP4_CODE, NF4_CODE, code4, dynamicMap8 } from "./codebooks.js";
export { nearestCode } from "./nearest.js";
export { code4At, dequantize8bit, quantize4bit, quantize8bit } from "./blockwise.js";
export type { QuantizationName, QuantScheme } from "./scheme.js";
export { QUANTIZATION_NAMES, quantScheme } from "./scheme.js";
export type { NestedAbsmax, Quant4Scales } from "./quant-tensor.js";
export { Quant4Tensor, isQuant4 } from "./quant-tensor.js";
export { NESTED_BLOCKSIZE, doubleQuantize, quantizeTensor } from "./quantize.js";
export { dequantizeWeight, quantLinear, quantLinearBackwardInput } from "./matmul.js";
export { nativeQuant4Dequantize } from "./native.js";
export type { CheckpointTensors, RawTensor } from "./bnb-format.js";
export { bnbCompanionNames, bnbQuantizationConfig, bnbStateName, bnbTensors, readBnb4bit } from "./bnb-format.js";
export { checkpointTensors } from "./checkpoint-tensors.js";
export { rawTensor, writeBnbCheckpoint, writeRawSafetensors } from "./bnb-write.js";
export type { MemoryPlan, PlanDims, PlanOptions } from "./memory-plan.js";
export { linearDims, parseByteSize, planMemory, quant4Bytes } from "./memory-plan.js";

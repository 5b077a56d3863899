// The WASM backend's kernels (AssemblyScript, 128-bit SIMD). Every function takes byte offsets
// into the engine's one memory and the sizes it needs; nothing allocates. A kernel that threads
// split takes (part, parts) and computes only its share, each output element wholly by one
// part in a fixed order, so results do not depend on the number of threads.
export { axpy, map, addBias, sumRows, embeddingGrad, rope, strided } from './elementwise';
export { matmul, matmulScratchBytes } from './matmul';
export { attentionForward, attentionBackwardQuery, attentionBackwardKey, attentionScratchBytes } from './attention';
export { activation } from './activation';
export { softmaxForward, softmaxBackward, layerNormForward, rmsNormForward, layerNormDx, rmsNormDx, layerNormDparams, rmsNormDparams } from './rows';
export { kdLossRows, kdLossScratchBytes } from './kd-loss';
export { adamwAll, sumSquaresAll, scaleAll } from './optim';

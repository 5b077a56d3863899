// Model sizes, from `tiny` (tests, SwiftShader) to sizes that suit a laptop GPU. The vocabulary
// size comes from the dataset's pruned tokenizer, not from the preset. Parameter counts and
// training memory per preset are documented in src/engine/README.md.

export interface EncoderDims {
  hidden: number;
  layers: number;
  heads: number;
  /** GeGLU inner width. */
  intermediate: number;
  maxPosition: number;
}

export interface DecoderDims {
  hidden: number;
  layers: number;
  heads: number;
  /** Grouped-query attention: key/value heads (divides heads). */
  kvHeads: number;
  /** SwiGLU inner width. */
  intermediate: number;
  maxPosition: number;
}

export const ENCODER_PRESETS = {
  tiny: { hidden: 32, layers: 2, heads: 2, intermediate: 64, maxPosition: 128 },
  small: { hidden: 128, layers: 4, heads: 4, intermediate: 384, maxPosition: 512 },
  base: { hidden: 256, layers: 6, heads: 8, intermediate: 768, maxPosition: 512 },
  large: { hidden: 512, layers: 8, heads: 8, intermediate: 1536, maxPosition: 1024 },
} satisfies Record<string, EncoderDims>;

export const DECODER_PRESETS = {
  tiny: { hidden: 32, layers: 2, heads: 2, kvHeads: 1, intermediate: 64, maxPosition: 128 },
  small: { hidden: 128, layers: 4, heads: 4, kvHeads: 2, intermediate: 384, maxPosition: 512 },
  base: { hidden: 256, layers: 6, heads: 8, kvHeads: 4, intermediate: 768, maxPosition: 1024 },
  large: { hidden: 512, layers: 8, heads: 8, kvHeads: 4, intermediate: 1536, maxPosition: 1024 },
} satisfies Record<string, DecoderDims>;

export type EncoderPreset = keyof typeof ENCODER_PRESETS;
export type DecoderPreset = keyof typeof DECODER_PRESETS;
export const ENCODER_PRESET_NAMES = Object.keys(ENCODER_PRESETS) as EncoderPreset[];
export const DECODER_PRESET_NAMES = Object.keys(DECODER_PRESETS) as DecoderPreset[];

// The --backend flag the engine commands share (run takes it as --engine, the experiment's field).
import { ENGINE_CHOICES, type EngineChoice } from '../src/engine/backend.ts';
import { UsageError } from './command.ts';

/** Help text for the flag. */
export const BACKEND_FLAG_HELP = '--backend B       auto (default: WebGPU on a hardware adapter, else WASM SIMD on the CPU), webgpu or wasm';

export function backendChoice(value: string | undefined): EngineChoice {
  const choice = (value ?? 'auto') as EngineChoice;
  if (!ENGINE_CHOICES.includes(choice)) throw new UsageError(`--backend must be one of ${ENGINE_CHOICES.join(', ')}, got "${value}"`);
  return choice;
}

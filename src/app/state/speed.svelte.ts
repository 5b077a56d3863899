// "Is this device fast enough?": the speed the trainer worker measured on each backend (matmul
// GFLOP/s, training tokens/s), kept in localStorage so the builder's time estimates can use the
// figures of the backend experiments run on by default ('auto').
import * as Comlink from 'comlink';
import { getTrainer } from '../lib/trainer.ts';
import type { SpeedFigures } from '../lib/estimate.ts';
import type { BackendKind } from '../../engine/backend.ts';
import { readStored, writeStored } from '../lib/local-store.ts';

const STORAGE_KEY = 'lantern.device.speeds';
/** Before there were two backends: one WebGPU measurement. */
const OLD_STORAGE_KEY = 'lantern.device.speed';

interface Stored {
  /** The backend 'auto' picked when these were measured. */
  auto: BackendKind;
  figures: Partial<Record<BackendKind, SpeedFigures>>;
}

function load(): Stored | null {
  const stored = readStored<Stored>(STORAGE_KEY);
  if (stored) return stored;
  const old = readStored<SpeedFigures>(OLD_STORAGE_KEY);
  return old ? { auto: 'webgpu', figures: { webgpu: old } } : null;
}

export class DeviceSpeed {
  private stored = $state.raw<Stored | null>(load());
  measuring = $state(false);
  /** What the measurement is doing now. */
  line = $state('');
  error = $state<string | null>(null);

  /** The figures of the backend experiments run on by default (the builder's estimates use them). */
  get figures(): SpeedFigures | null {
    const s = this.stored;
    return s ? (s.figures[s.auto] ?? Object.values(s.figures)[0] ?? null) : null;
  }

  /** Every backend measured, with the one 'auto' picks. */
  get byBackend(): Stored | null {
    return this.stored;
  }

  /** Measures each backend in turn (the WASM backend always; WebGPU when the worker has an adapter). */
  async measure(backends: readonly BackendKind[], auto: BackendKind): Promise<void> {
    if (this.measuring) return;
    this.measuring = true;
    this.error = null;
    const figures: Partial<Record<BackendKind, SpeedFigures>> = {};
    try {
      for (const kind of backends) {
        this.line = `${kind === 'wasm' ? 'WASM' : 'WebGPU'}: starting…`;
        const prefix = kind === 'wasm' ? 'WASM: ' : 'WebGPU: ';
        figures[kind] = await getTrainer().speedProbe(Comlink.proxy((line: string) => void (this.line = prefix + line)), kind);
        this.stored = { auto, figures: { ...figures } };
      }
      writeStored(STORAGE_KEY, this.stored);
    } catch (e) {
      this.error = (e as Error).message;
    } finally {
      this.measuring = false;
      this.line = '';
    }
  }
}

export const deviceSpeed = new DeviceSpeed();

// "Is this device fast enough?": the speed the trainer worker measured on this adapter (matmul
// GFLOP/s, training tokens/s), kept in localStorage so the builder's time estimates can use it.
import * as Comlink from 'comlink';
import { getTrainer } from '../lib/trainer.ts';
import type { SpeedFigures } from '../lib/estimate.ts';

const STORAGE_KEY = 'lantern.device.speed';

function restore(): SpeedFigures | null {
  try {
    const text = typeof localStorage === 'undefined' ? null : localStorage.getItem(STORAGE_KEY);
    return text ? (JSON.parse(text) as SpeedFigures) : null;
  } catch {
    return null;
  }
}

export class DeviceSpeed {
  figures = $state.raw<SpeedFigures | null>(restore());
  measuring = $state(false);
  /** What the measurement is doing now. */
  line = $state('');
  error = $state<string | null>(null);

  async measure(): Promise<void> {
    if (this.measuring) return;
    this.measuring = true;
    this.error = null;
    this.line = 'starting…';
    try {
      const figures = await getTrainer().speedProbe(Comlink.proxy((line: string) => void (this.line = line)));
      this.figures = figures;
      try {
        localStorage.setItem(STORAGE_KEY, JSON.stringify(figures));
      } catch {
        // Kept for this tab only.
      }
    } catch (e) {
      this.error = (e as Error).message;
    } finally {
      this.measuring = false;
      this.line = '';
    }
  }
}

export const deviceSpeed = new DeviceSpeed();

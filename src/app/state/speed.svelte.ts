// "Is this device fast enough?": the speed the trainer worker measured on this adapter (matmul
// GFLOP/s, training tokens/s), kept in localStorage so the builder's time estimates can use it.
import * as Comlink from 'comlink';
import { getTrainer } from '../lib/trainer.ts';
import type { SpeedFigures } from '../lib/estimate.ts';
import { readStored, writeStored } from '../lib/local-store.ts';

const STORAGE_KEY = 'lantern.device.speed';

export class DeviceSpeed {
  figures = $state.raw<SpeedFigures | null>(readStored<SpeedFigures>(STORAGE_KEY));
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
      writeStored(STORAGE_KEY, figures);
    } catch (e) {
      this.error = (e as Error).message;
    } finally {
      this.measuring = false;
      this.line = '';
    }
  }
}

export const deviceSpeed = new DeviceSpeed();

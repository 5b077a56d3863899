// The page's handle on the trainer worker (one per tab).
import * as Comlink from 'comlink';
import type { TrainerApi } from '../../../workers/trainer.worker.ts';

let trainer: Comlink.Remote<TrainerApi> | undefined;

export function getTrainer(): Comlink.Remote<TrainerApi> {
  trainer ??= Comlink.wrap<TrainerApi>(new Worker(new URL('../../../workers/trainer.worker.ts', import.meta.url), { type: 'module' }));
  return trainer;
}

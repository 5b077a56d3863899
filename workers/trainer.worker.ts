// The trainer worker owns the GPUDevice: every GPU call of the studio goes through it.
import * as Comlink from 'comlink';
import { acquireDevice, BROWSER_HINT, WebGPUUnavailableError, type AcquiredDevice, type AdapterReport } from '../src/engine/gpu.ts';

export type ProbeResult =
  | { supported: true; report: AdapterReport }
  | { supported: false; reason: string; hint: string };

let acquired: Promise<AcquiredDevice> | undefined;

function device(): Promise<AcquiredDevice> {
  acquired ??= acquireDevice((self.navigator as Navigator).gpu, BROWSER_HINT).then((d) => {
    // A lost device is reported once; the next call acquires a fresh one.
    void d.device.lost.then(() => (acquired = undefined));
    return d;
  });
  acquired.catch(() => (acquired = undefined));
  return acquired;
}

const api = {
  async probe(): Promise<ProbeResult> {
    try {
      return { supported: true, report: (await device()).report };
    } catch (e) {
      if (e instanceof WebGPUUnavailableError) return { supported: false, reason: e.message.replace(` ${e.hint}`, ''), hint: e.hint };
      return { supported: false, reason: (e as Error).message, hint: BROWSER_HINT };
    }
  },
};

export type TrainerApi = typeof api;
Comlink.expose(api);

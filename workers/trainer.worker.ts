// The trainer worker owns the GPUDevice: every GPU call of the studio goes through it.
import * as Comlink from 'comlink';
import { acquireDevice, BROWSER_HINT, WebGPUUnavailableError, type AcquiredDevice, type AdapterReport } from '../src/engine/gpu.ts';
import { Engine } from '../src/engine/runtime.ts';
import type { CheckResult } from '../src/engine/selftest/check.ts';
import { parseKdReference } from '../src/engine/selftest/kd.ts';
import { runSelfTest, type SelfTestReport } from '../src/engine/selftest/run.ts';
import kdReferenceUrl from '../models/reference/kd-losses.json?url';

export type ProbeResult =
  | { supported: true; report: AdapterReport }
  | { supported: false; reason: string; hint: string };

let acquired: Promise<AcquiredDevice> | undefined;
const engines = new WeakMap<GPUDevice, Engine>();

/** One engine per device (a lost device gets a fresh one with the next device). */
async function engineFor(): Promise<{ engine: Engine; report: AdapterReport }> {
  const d = await device();
  let engine = engines.get(d.device);
  if (!engine) engines.set(d.device, (engine = new Engine(d.device)));
  return { engine, report: d.report };
}

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

  /**
   * The engine self-test on this GPU (the same runner as `lantern selftest`): every op check and
   * every case of the project's KD reference file; `only` is a case-insensitive regular expression
   * over check names. `onCheck` (a Comlink.proxy) hears about each check as it finishes.
   */
  async selftest(opts: { only?: string } = {}, onCheck?: (result: CheckResult, done: number, total: number) => void): Promise<SelfTestReport> {
    let only: RegExp | undefined;
    if (opts.only) {
      try {
        only = new RegExp(opts.only, 'i');
      } catch {
        throw new Error(`"${opts.only}" is not a valid pattern for check names`);
      }
    }
    const response = await fetch(kdReferenceUrl);
    if (!response.ok) throw new Error(`The KD reference file could not be loaded (HTTP ${response.status})`);
    const reference = parseKdReference(await response.text(), 'kd-losses.json');
    const { engine, report } = await engineFor();
    return runSelfTest(engine, { device: report, reference, ...(only ? { only } : {}), ...(onCheck ? { onCheck } : {}) });
  },
};

export type TrainerApi = typeof api;
Comlink.expose(api);

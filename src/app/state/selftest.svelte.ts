// The System page's self-test: the trainer worker runs every engine op check and KD reference case
// on the chosen backend (WebGPU or WASM); rows arrive as checks finish.
import * as Comlink from 'comlink';
import type { CheckResult } from '../../engine/selftest/check.ts';
import { getTrainer } from '../lib/trainer.ts';
import type { BackendKind } from '../../engine/backend.ts';

export class SelfTest {
  only = $state('');
  backend = $state<BackendKind>('webgpu');
  running = $state(false);
  rows = $state<CheckResult[]>([]);
  total = $state(0);
  ok = $state<boolean | null>(null);
  error = $state<string | null>(null);

  readonly failed = $derived(this.rows.filter((c) => !c.ok).length);

  async run(): Promise<void> {
    this.running = true;
    this.rows = [];
    this.ok = null;
    this.error = null;
    try {
      // Progress comes on a channel of its own (a Comlink proxy): a call may land after the report,
      // and must not add a row to the finished list.
      const onCheck = (r: CheckResult, _done: number, total: number) => {
        if (!this.running) return;
        this.total = total;
        this.rows.push(r);
      };
      const report = await getTrainer().selftest({ only: this.only.trim() || undefined, backend: this.backend }, Comlink.proxy(onCheck));
      this.rows = report.checks;
      this.ok = report.ok;
      if (report.checks.length === 0) this.error = 'No check matches that pattern.';
    } catch (e) {
      this.error = (e as Error).message;
    } finally {
      this.running = false;
    }
  }
}

export const selftest = new SelfTest();

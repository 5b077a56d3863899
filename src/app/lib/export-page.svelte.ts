// State of the Export & Try-it page: finished runs and their stages (from the inference worker,
// which reads the studio store), the loaded students, the Try-it input and answers, and the
// latency/throughput measurement. The worker does the work; this class only holds what to show.
import * as Comlink from 'comlink';
import { getInference, download } from './inference.ts';
import { modelJobText } from './try-input.ts';
import type { LoadedStudent, ProviderChoice, Role, RunEntry } from '../../../workers/inference.worker.ts';
import type { FitLabel } from '../../data/schema.ts';
import type { InferenceFigure } from '../../../bench/inference.ts';
import { throughputRatios, type ThroughputRatio } from '../../../bench/inference.ts';
import { generateDemoExamples } from '../../data/demo.ts';
import { jobText, profileText } from '../../data/format.ts';
import type { Example } from '../../data/schema.ts';

export const DEMO_EXAMPLES: Example[] = generateDemoExamples({ seed: 1, n: 12 });

const runKey = (r: RunEntry) => `${r.runId}|${r.runPath}`;

export interface ClassifierAnswer {
  label: FitLabel;
  probabilities: Record<FitLabel, number>;
  ms: number;
  inputTokens: number;
}

export interface ExplainerAnswer {
  label: FitLabel | null;
  text: string;
  ms: number | null;
  firstTokenMs: number | null;
  newTokens: number | null;
}

export class ExportPageState {
  runs = $state<RunEntry[] | null>(null);
  runsError = $state<string | null>(null);
  selectedRun = $state('');
  selectedStage = $state('');
  exporting = $state(false);
  exportMessage = $state<string | null>(null);
  exportError = $state<string | null>(null);

  students = $state<Partial<Record<Role, LoadedStudent>>>({});
  loading = $state<Role | null>(null);
  loadError = $state<string | null>(null);
  provider = $state<ProviderChoice>('auto');

  exampleIndex = $state(-1);
  job = $state('');
  profile = $state('');
  compress = $state(true);
  running = $state(false);
  runError = $state<string | null>(null);
  classifier = $state<ClassifierAnswer | null>(null);
  explainer = $state<ExplainerAnswer | null>(null);

  bench = $state({ engine: true, webgpu: true, wasm: true, batches: '1, 32', calls: 3, maxNewTokens: 16 });
  benchRunning = $state(false);
  benchLines = $state<string[]>([]);
  benchFigures = $state.raw<InferenceFigure[] | null>(null);
  benchError = $state<string | null>(null);

  readonly run = $derived(this.runs?.find((r) => runKey(r) === this.selectedRun) ?? null);
  readonly stage = $derived(this.run?.stages.find((s) => s.id === this.selectedStage) ?? null);
  readonly ratios = $derived<ThroughputRatio[]>(this.benchFigures ? throughputRatios(this.benchFigures) : []);
  readonly canRun = $derived(Boolean((this.students.classifier || this.students.explainer) && this.job.trim() && this.profile.trim()));

  runKey = runKey;

  async refreshRuns(): Promise<void> {
    try {
      this.runs = await getInference().exportableRuns();
      this.runsError = null;
      const first = this.runs[0];
      if (first && !this.run) {
        this.selectedRun = runKey(first);
        this.selectedStage = first.stages[0]?.id ?? '';
      }
      this.students = Object.fromEntries((await getInference().loadedStudents()).map((s) => [s.role, s]));
    } catch (e) {
      this.runsError = (e as Error).message;
      this.runs = [];
    }
  }

  selectRun(key: string): void {
    this.selectedRun = key;
    this.selectedStage = this.run?.stages[0]?.id ?? '';
  }

  async exportSelected(): Promise<void> {
    const run = this.run;
    const stage = this.stage;
    if (!run || !stage) return;
    this.exporting = true;
    this.exportError = null;
    this.exportMessage = null;
    try {
      const zip = await getInference().exportStage(run.runId, run.runPath, stage.id);
      const name = `${stage.id}.zip`;
      download(zip, name);
      this.exportMessage = `Saved ${name} (${(zip.length / 1e6).toFixed(2)} MB): unzip it for a Hugging Face model folder; its README says how to run it.`;
    } catch (e) {
      this.exportError = (e as Error).message;
    } finally {
      this.exporting = false;
    }
  }

  private async loadWith(role: Role, load: () => Promise<LoadedStudent>): Promise<void> {
    this.loading = role;
    this.loadError = null;
    try {
      this.students = { ...this.students, [role]: await load() };
    } catch (e) {
      this.loadError = (e as Error).message;
    } finally {
      this.loading = null;
    }
  }

  /** Loads the selected stage as the classifier or the explainer (by its task). */
  async trySelected(): Promise<void> {
    const run = this.run;
    const stage = this.stage;
    if (!run || !stage) return;
    const role: Role = stage.task === 'classify' ? 'classifier' : 'explainer';
    await this.loadWith(role, () => getInference().loadStage(role, run.runId, run.runPath, stage.id, this.provider));
  }

  async loadFile(role: Role, file: File): Promise<void> {
    const bytes = new Uint8Array(await file.arrayBuffer());
    await this.loadWith(role, () => getInference().loadZip(role, file.name, Comlink.transfer(bytes, [bytes.buffer]), this.provider));
  }

  pickExample(index: number): void {
    this.exampleIndex = index;
    const e = DEMO_EXAMPLES[index];
    if (!e) return;
    this.job = jobText(e.job);
    this.profile = profileText(e.profile);
  }

  async tryIt(): Promise<void> {
    this.running = true;
    this.runError = null;
    this.classifier = null;
    this.explainer = null;
    const job = modelJobText(this.job.trim(), this.compress);
    const profile = this.profile.trim();
    try {
      if (this.students.classifier) this.classifier = await getInference().classify(job, profile);
      if (this.students.explainer) {
        this.explainer = { label: null, text: '', ms: null, firstTokenMs: null, newTokens: null };
        const r = await getInference().explain(job, profile, Comlink.proxy((text: string) => this.explainer && (this.explainer.text = text)));
        this.explainer = { label: r.label, text: r.explanation, ms: r.ms, firstTokenMs: r.firstTokenMs, newTokens: r.newTokens };
      }
    } catch (e) {
      this.runError = (e as Error).message;
    } finally {
      this.running = false;
    }
  }

  async measure(): Promise<void> {
    const batches = this.bench.batches.split(',').map((s) => Number(s.trim()));
    if (batches.length === 0 || batches.some((b) => !Number.isInteger(b) || b < 1 || b > 64)) {
      this.benchError = 'Batch sizes must be whole numbers from 1 to 64, separated by commas';
      return;
    }
    const runtimes = (['engine', 'webgpu', 'wasm'] as const).filter((r) => this.bench[r]);
    if (runtimes.length === 0) {
      this.benchError = 'Choose at least one runtime';
      return;
    }
    this.benchRunning = true;
    this.benchError = null;
    this.benchLines = [];
    this.benchFigures = null;
    try {
      this.benchFigures = await getInference().bench(
        { runtimes: [...runtimes], batches, calls: this.bench.calls, maxNewTokens: this.bench.maxNewTokens },
        Comlink.proxy((line: string) => (this.benchLines = [...this.benchLines, line])),
      );
    } catch (e) {
      this.benchError = (e as Error).message;
    } finally {
      this.benchRunning = false;
    }
  }
}

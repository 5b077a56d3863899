// A picked pretrained model folder, for the experiment builder (pure): which of its files the
// studio keeps, and what the folder's config.json makes of a stage's student (model type, size,
// what trains, the training memory against the WASM backend's 4 GiB and a GPU's assumed 24 GiB),
// in the words of src/experiment/pretrained-size.ts, which the run refuses with.
import { describePretrained, GPU_LIMITS, stageUse, WASM_LIMITS, type PretrainedDescription } from '../../experiment/pretrained-size.ts';
import { isPretrained, NOMINAL_VOCAB_SIZE, type ExperimentConfig, type PretrainedStudentConfig, type StageConfig } from '../../experiment/schema.ts';

/** Files a model folder is read from (pretrained.ts readModelFolder); the rest (.bin, .gguf, READMEs) are not stored. */
export function keptModelFile(name: string): boolean {
  return name === 'config.json' || name === 'tokenizer.json' || name === 'generation_config.json' || name === 'model.safetensors.index.json' || name.endsWith('.safetensors');
}

/**
 * The top-level files of a picked folder (an <input webkitdirectory> lists every file under it as
 * "folder/sub/…/name"; showDirectoryPicker gives the top-level files and `folderName`): the
 * folder's name and the files kept, or what is wrong with the pick.
 */
export function pickedFolder<F extends { name: string; webkitRelativePath?: string }>(files: readonly F[], folderName?: string): { ok: true; name: string; files: F[] } | { ok: false; problem: string } {
  if (!files.length) return { ok: false, problem: 'the folder is empty' };
  const parts = files.map((f) => (f.webkitRelativePath || f.name).split('/'));
  const name = folderName ?? (parts[0]!.length > 1 ? parts[0]![0]! : '');
  if (!name) return { ok: false, problem: 'the folder has no name to store it under' };
  const top = files.filter((_, i) => parts[i]!.length <= 2);
  const kept = top.filter((f) => keptModelFile(f.name));
  if (!kept.some((f) => f.name === 'config.json')) return { ok: false, problem: `${name || 'the folder'} has no config.json: pick a Hugging Face model folder (config.json, model.safetensors or its shards, tokenizer.json)` };
  return { ok: true, name, files: kept };
}

/** The model folders an experiment's stages start from, each with the stages that use it (for "what this experiment needs"). */
export function pretrainedSources(config: ExperimentConfig): { source: string; stages: string[] }[] {
  const out = new Map<string, string[]>();
  for (const stage of config.stages) if (isPretrained(stage.student)) out.set(stage.student.pretrained.source, [...(out.get(stage.student.pretrained.source) ?? []), stage.id]);
  return [...out].map(([source, stages]) => ({ source, stages }));
}

export interface FolderSummary {
  modelType: string;
  /** Parameters of the folder's model, and of the student in an 8 192-token vocabulary. */
  sourceParameters: number;
  parameters: number;
  trainableParameters: number;
  /** Training memory at the stage's batch and length, on the WASM backend and on a GPU. */
  memoryBytes: number;
  wasm: string | null;
  gpu: string | null;
}

/**
 * What a stage's student would be from this config.json (at the nominal vocabulary: the run's is
 * known when it starts, and at most that): its figures, and per backend null when it fits or the
 * reason it does not; `problem` when config.json cannot make this stage's student at all.
 */
export function summarizeFolder(configJson: unknown, stage: StageConfig, student: PretrainedStudentConfig): { ok: true; summary: FolderSummary } | { ok: false; problem: string } {
  const onGpu = describePretrained(configJson, stageUse(stage), student.pretrained, NOMINAL_VOCAB_SIZE, GPU_LIMITS);
  const onWasm = describePretrained(configJson, stageUse(stage), student.pretrained, NOMINAL_VOCAB_SIZE, WASM_LIMITS);
  const d: PretrainedDescription | undefined = onGpu.ok ? onGpu.description : onWasm.ok ? onWasm.description : undefined;
  if (!d) {
    // Refused on both: a problem of config.json itself, or too large even for a GPU.
    return { ok: false, problem: (onGpu as { problem: string }).problem };
  }
  return {
    ok: true,
    summary: {
      modelType: d.modelType,
      sourceParameters: d.sourceParameters,
      parameters: d.parameters,
      trainableParameters: d.trainableParameters,
      memoryBytes: d.memory.totalBytes,
      wasm: onWasm.ok ? null : onWasm.problem,
      gpu: onGpu.ok ? null : onGpu.problem,
    },
  };
}

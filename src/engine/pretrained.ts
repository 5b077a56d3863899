// Pretrained weights: a model folder as Hugging Face writes it (save_pretrained / the Hub), read
// into named f32 tensors the models load (checkpoint.ts loadCheckpoint), and the student
// vocabulary's pruning of a pretrained embedding.
//
//   config.json                          required (Qwen2Config, LlamaConfig, ModernBertConfig: nn/config.ts hfLoadPlan)
//   model.safetensors                    one file, or
//   model.safetensors.index.json         {"weight_map": {tensor: shard file}} with the shards
//   model-0000x-of-0000y.safetensors       it names (every one must be there and hold its tensors)
//   generation_config.json, tokenizer.json  optional: read when present
// Tensors stored as F32, F16 or BF16 come out f32. Reading touches nothing but the files: every
// error (a missing file, field or tensor, a shard absent, a tensor in two shards) is thrown before
// a model is built, and a model that fails to build frees what it held (loadCheckpoint).
import { readSafetensors, type NamedTensorData, type SafetensorsDtype } from './safetensors.ts';
import { ConfigError, type DecoderConfig, type EncoderConfig, type ModelConfig } from './nn/config.ts';

/** A folder's top-level files, by name; read on demand (the browser's directory handle, Node's fs, a zip). */
export interface ModelFolder {
  /** Where it came from, for messages (a path or a folder name). */
  label: string;
  names: readonly string[];
  read(name: string): Promise<Uint8Array>;
}

/** What a model folder holds, decoded: loadCheckpoint(engine, files) builds the model. */
export interface ModelFiles {
  config: Record<string, unknown>;
  tensors: Map<string, NamedTensorData>;
  /** Each tensor's dtype in the file (its data here is f32). */
  dtypes: Map<string, SafetensorsDtype>;
  /** The safetensors files read, in order. */
  shards: string[];
  generation?: { eos_token_id?: number | number[]; bos_token_id?: number; pad_token_id?: number };
  /** tokenizer.json's bytes when the folder has one. */
  tokenizer?: Uint8Array;
}

export class ModelFolderError extends ConfigError {
  override name = 'ModelFolderError';
}

/** A folder over files already in memory (a zip's entries, a test). Names with "/" are left out (not top level). */
export function folderFromFiles(label: string, files: ReadonlyMap<string, Uint8Array>): ModelFolder {
  return {
    label,
    names: [...files.keys()].filter((n) => !n.includes('/')),
    read: async (name) => {
      const f = files.get(name);
      if (!f) throw new ModelFolderError(`${label} has no ${name}`);
      return f;
    },
  };
}

const INDEX = 'model.safetensors.index.json';

function parseJson<T>(folder: ModelFolder, name: string, bytes: Uint8Array): T {
  let v: unknown;
  try {
    v = JSON.parse(new TextDecoder().decode(bytes));
  } catch (e) {
    throw new ModelFolderError(`${folder.label}/${name} is not valid JSON (${(e as Error).message})`);
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new ModelFolderError(`${folder.label}/${name} is not a JSON object`);
  return v as T;
}

/** Reads config.json and the weights (one file or shards) of a Hugging Face model folder. */
export async function readModelFolder(folder: ModelFolder): Promise<ModelFiles> {
  const has = new Set(folder.names);
  if (!has.has('config.json')) throw new ModelFolderError(`${folder.label} has no config.json: a model folder holds config.json and model.safetensors (or sharded model-*.safetensors with ${INDEX})`);
  const config = parseJson<Record<string, unknown>>(folder, 'config.json', await folder.read('config.json'));
  let shards: string[];
  let weightMap: Record<string, string> | null = null;
  if (has.has('model.safetensors')) shards = ['model.safetensors'];
  else if (has.has(INDEX)) {
    const index = parseJson<{ weight_map?: unknown }>(folder, INDEX, await folder.read(INDEX));
    const map = index.weight_map;
    if (!map || typeof map !== 'object' || Array.isArray(map) || !Object.values(map).every((v) => typeof v === 'string')) {
      throw new ModelFolderError(`${folder.label}/${INDEX} has no "weight_map" of tensor name → shard file`);
    }
    weightMap = map as Record<string, string>;
    shards = [...new Set(Object.values(weightMap))];
    if (!shards.length) throw new ModelFolderError(`${folder.label}/${INDEX}: "weight_map" is empty`);
    const absent = shards.filter((s) => !has.has(s));
    if (absent.length) throw new ModelFolderError(`${folder.label}: ${INDEX} lists ${absent.length === 1 ? 'a shard' : 'shards'} that the folder lacks: ${absent.join(', ')}`);
  } else {
    const other = folder.names.filter((n) => /\.(bin|pt|pth|ckpt|h5|msgpack|gguf)$/.test(n));
    throw new ModelFolderError(
      `${folder.label} has no model.safetensors (nor ${INDEX} for sharded weights)` +
        (other.length ? `; it has ${other.join(', ')}: only safetensors weights are read (convert with save_pretrained(..., safe_serialization=True))` : ''),
    );
  }
  const tensors = new Map<string, NamedTensorData>();
  const dtypes = new Map<string, SafetensorsDtype>();
  const where = new Map<string, string>();
  for (const shard of shards) {
    let file;
    try {
      file = readSafetensors(await folder.read(shard));
    } catch (e) {
      throw new ModelFolderError(`${folder.label}/${shard}: ${(e as Error).message}`);
    }
    for (const [name, t] of file.tensors) {
      const before = where.get(name);
      if (before) throw new ModelFolderError(`${folder.label}: tensor "${name}" is in both ${before} and ${shard}`);
      if (weightMap && weightMap[name] !== shard) {
        throw new ModelFolderError(`${folder.label}: tensor "${name}" is in ${shard} but ${INDEX} ${weightMap[name] ? `puts it in ${weightMap[name]}` : 'does not list it'}`);
      }
      where.set(name, shard);
      tensors.set(name, t);
      dtypes.set(name, file.dtypes.get(name)!);
    }
  }
  if (weightMap) {
    const missing = Object.keys(weightMap).filter((n) => !tensors.has(n));
    if (missing.length) throw new ModelFolderError(`${folder.label}: ${INDEX} puts tensor "${missing[0]}" in ${weightMap[missing[0]!]}, which does not hold it${missing.length > 1 ? ` (nor ${missing.length - 1} more)` : ''}`);
  }
  const out: ModelFiles = { config, tensors, dtypes, shards };
  if (has.has('generation_config.json')) out.generation = parseJson(folder, 'generation_config.json', await folder.read('generation_config.json'));
  if (has.has('tokenizer.json')) out.tokenizer = await folder.read('tokenizer.json');
  return out;
}

/** The ids generation stops at: config.json's eos_token_id (one or a list), else generation_config.json's. */
export function stopTokenIds(files: { config: Record<string, unknown>; generation?: { eos_token_id?: number | number[] } }): number[] {
  const ids = (v: unknown): number[] => (typeof v === 'number' ? [v] : Array.isArray(v) ? v.filter((x): x is number => typeof x === 'number') : []);
  const fromConfig = ids(files.config.eos_token_id);
  return fromConfig.length ? fromConfig : ids(files.generation?.eos_token_id);
}

// ---- Vocabulary pruning ---------------------------------------------------------------------------

/** The embedding tables a model's vocabulary indexes (the untied lm_head of a decoder too). */
export function vocabularyTensorNames(config: ModelConfig): string[] {
  if (config.kind === 'encoder') return ['model.embeddings.tok_embeddings.weight'];
  return config.tieWordEmbeddings === false ? ['model.embed_tokens.weight', 'lm_head.weight'] : ['model.embed_tokens.weight'];
}

/**
 * A pretrained model's tensors and config with its vocabulary pruned to `keptIds`: new id i takes
 * row keptIds[i] of every vocabulary table (bit-identical), in that order; a null entry (a token the
 * source vocabulary lacks, like the student's <|pad|>, <|cls|>, <|sep|>) takes the mean of all
 * source rows, as transformers' resize_token_embeddings starts new tokens. bos/eos/pad ids are
 * renumbered to their new ids (dropped when not kept). The source tensors are left as they are.
 */
export function pruneVocabulary<C extends DecoderConfig | EncoderConfig>(
  config: C,
  tensors: ReadonlyMap<string, NamedTensorData>,
  keptIds: readonly (number | null)[],
): { config: C; tensors: Map<string, NamedTensorData> } {
  const V = config.vocabSize;
  if (!keptIds.length) throw new ConfigError('pruneVocabulary: no ids to keep');
  const seen = new Set<number>();
  keptIds.forEach((id, i) => {
    if (id === null) return;
    if (!Number.isInteger(id) || id < 0 || id >= V) throw new ConfigError(`pruneVocabulary: kept id ${id} (new id ${i}) is outside the model's vocabulary 0..${V - 1}`);
    if (seen.has(id)) throw new ConfigError(`pruneVocabulary: id ${id} is kept twice`);
    seen.add(id);
  });
  const out = new Map(tensors);
  for (const name of vocabularyTensorNames(config)) {
    const t = tensors.get(name);
    if (!t) throw new ConfigError(`pruneVocabulary: the model has no tensor "${name}"`);
    if (t.shape.length !== 2 || t.shape[0] !== V) throw new ConfigError(`pruneVocabulary: "${name}" has shape [${t.shape.join(', ')}], expected [${V}, hidden]`);
    const H = t.shape[1]!;
    let mean: Float32Array | null = null;
    if (keptIds.includes(null)) {
      const acc = new Float64Array(H);
      for (let r = 0; r < V; r++) for (let c = 0; c < H; c++) acc[c] += t.data[r * H + c]!;
      mean = Float32Array.from(acc, (v) => v / V);
    }
    const data = new Float32Array(keptIds.length * H);
    keptIds.forEach((id, i) => data.set(id === null ? mean! : t.data.subarray(id * H, (id + 1) * H), i * H));
    out.set(name, { shape: [keptIds.length, H], data });
  }
  const renumber = (id: number | undefined) => (id === undefined ? -1 : keptIds.indexOf(id));
  const next = { ...config, vocabSize: keptIds.length } as C & { bosTokenId?: number; eosTokenId?: number; padTokenId?: number };
  for (const key of ['bosTokenId', 'eosTokenId', 'padTokenId'] as const) {
    const old = (config as { [k in typeof key]?: number })[key];
    if (old === undefined) continue;
    const id = renumber(old);
    if (id >= 0) next[key] = id;
    else delete next[key];
  }
  return { config: next, tensors: out };
}

// The task as tokens: how a (job, profile) pair becomes the decoder's prompt, its "label +
// explanation" response and the encoder's input — one place, used to build the vocabulary, to
// train every model and to evaluate them. The text of each side comes from src/data/format.ts
// (the one rendering), with the posting compressed to its requirement sections (the paper cut
// input length by 80% that way; src/experiment/README.md).
//
//   decoder:  <|im_start|> job "\n\n" profile "\nFit:" │ " high" "\n" explanation <|endoftext|>
//             └────────────── prompt ────────────────┘ └────────── response ───────────────┘
//   encoder:  <|cls|> job <|sep|> profile
//
// The response's first token is the label: " low", " medium" and " high" are single Qwen tokens,
// kept in every student vocabulary, so "the distribution over the three label tokens at the label
// position" is three logits of the prompt's last position.
//
// A decoder's context is shared by one DecoderLayout: a fixed number of response tokens (label,
// explanation, end of text) and the rest for the prompt. The same layout builds the sequences a
// decoder is trained on and the prompts it is asked at decoding, so a model is never asked a
// prompt cut differently from the ones it learned (a cut that varied with the response's length
// was a train/decode mismatch, and a model trained on one cut answers another badly).
import { FIT_LABELS, type Example, type FitLabel } from '../data/schema.ts';
import { jobText, profileText } from '../data/format.ts';
import { SPECIAL_IDS, type StudentTokenizer } from '../data/vocab.ts';

const FORMAT = { compress: true } as const;
export const PROMPT_END = '\nFit:';
export const JOB_PROFILE_GAP = '\n\n';

/** What the codec needs of a tokenizer: the student tokenizer, or an exported bundle's. */
export type TextTokenizer = Pick<StudentTokenizer, 'encode' | 'decode' | 'size'>;

/** Job and profile as student ids. */
export interface InputIds {
  job: number[];
  profile: number[];
}

/** What the label is written as at the start of a response. */
export const labelText = (label: FitLabel) => ` ${label}`;

/** The response text a decoder learns: label, newline, explanation. */
export function responseText(label: FitLabel, explanation: string): string {
  return `${labelText(label)}\n${explanation}`;
}

/** Texts a dataset's student vocabulary is built from: every input, the teacher's answers and the label words. */
export function vocabularyTexts(examples: readonly Example[], answers: readonly { label: FitLabel; explanation: string }[]): string[] {
  return [
    ...examples.flatMap((e) => [jobText(e.job, FORMAT), profileText(e.profile)]),
    ...answers.map((a) => responseText(a.label, a.explanation)),
    PROMPT_END,
    JOB_PROFILE_GAP,
    ...FIT_LABELS.map(labelText),
  ];
}

/** The shortest prompt a layout may leave (fewer tokens cannot hold a job and a profile). */
export const MIN_PROMPT_TOKENS = 16;

/** How a decoder's context is shared between prompt and response. */
export interface DecoderLayout {
  /** Tokens of the prompt at most (it is cut to fit: job and profile keep their heads). */
  promptTokens: number;
  /** Tokens of the response at most: the label and `responseTokens − 1` more (explanation, end of text). */
  responseTokens: number;
}

/**
 * The layout of a decoder with `maxSeqLen` tokens of context (at most the model's `maxPosition`)
 * whose responses hold a label and at most `explanationTokens` more tokens (end of text included).
 */
export function decoderLayout(maxSeqLen: number, maxPosition: number, explanationTokens: number): DecoderLayout {
  const context = Math.min(maxSeqLen, maxPosition);
  const responseTokens = 1 + explanationTokens;
  const promptTokens = context - responseTokens;
  if (promptTokens < MIN_PROMPT_TOKENS) {
    throw new Error(`a ${context}-token context leaves ${promptTokens} prompt tokens after a ${responseTokens}-token response (label + ${explanationTokens}); raise maxSeqLen or lower synthetic.maxNewTokens (a prompt needs at least ${MIN_PROMPT_TOKENS})`);
  }
  return { promptTokens, responseTokens };
}

export class TaskCodec {
  /** Student ids of " low", " medium", " high" (FIT_LABELS order). */
  readonly labelTokenIds: readonly number[];
  private readonly promptEnd: number[];
  private readonly gap: number[];
  private readonly inputs = new Map<string, { job: number[]; profile: number[] }>();

  constructor(readonly tokenizer: TextTokenizer) {
    this.labelTokenIds = FIT_LABELS.map((label) => {
      const ids = tokenizer.encode(labelText(label));
      if (ids.length !== 1) throw new Error(`the student vocabulary writes "${labelText(label)}" as ${ids.length} tokens; it must be one (build it with vocabularyTexts)`);
      return ids[0]!;
    });
    this.promptEnd = tokenizer.encode(PROMPT_END);
    this.gap = tokenizer.encode(JOB_PROFILE_GAP);
  }

  get vocabSize(): number {
    return this.tokenizer.size;
  }

  private encoded(example: Example): InputIds {
    let ids = this.inputs.get(example.id);
    if (!ids) {
      ids = this.encodeTexts(jobText(example.job, FORMAT), profileText(example.profile));
      this.inputs.set(example.id, ids);
    }
    return ids;
  }

  /** Ids of an input given as text (a pasted job and profile, already rendered). */
  encodeTexts(job: string, profile: string): InputIds {
    return { job: this.tokenizer.encode(job), profile: this.tokenizer.encode(profile) };
  }

  /** Job and profile ids cut to `budget` tokens together: each keeps its head, neither is squeezed below half when both are long. */
  private fitInput(input: Example | InputIds, budget: number): InputIds {
    const { job, profile } = 'id' in input ? this.encoded(input) : input;
    if (budget < 2) throw new Error(`no room for the input: ${budget} tokens left (raise maxSeqLen)`);
    if (job.length + profile.length <= budget) return { job, profile };
    const half = Math.floor(budget / 2);
    const jobLen = Math.min(job.length, Math.max(half, budget - profile.length));
    return { job: job.slice(0, jobLen), profile: profile.slice(0, budget - jobLen) };
  }

  /** The decoder prompt, at most `maxLen` tokens. */
  prompt(example: Example | InputIds, maxLen: number): number[] {
    const fixed = 1 + this.gap.length + this.promptEnd.length;
    const { job, profile } = this.fitInput(example, maxLen - fixed);
    return [SPECIAL_IDS.imStart, ...job, ...this.gap, ...profile, ...this.promptEnd];
  }

  /** Response ids: label token, then the explanation, then end-of-text. */
  response(label: FitLabel, explanation: string): number[] {
    return [...this.tokenizer.encode(responseText(label, explanation)), SPECIAL_IDS.eos];
  }

  /**
   * A whole training sequence: the layout's prompt (exactly the one decoding asks) and the
   * response's head, label first, cut to the layout's response tokens. Returns where the response starts.
   */
  sequence(example: Example, response: readonly number[], layout: DecoderLayout): { ids: number[]; responseStart: number } {
    const prompt = this.prompt(example, layout.promptTokens);
    return { ids: [...prompt, ...response.slice(0, layout.responseTokens)], responseStart: prompt.length };
  }

  /** The encoder input, at most `maxLen` tokens. */
  encoderInput(example: Example | InputIds, maxLen: number): number[] {
    const { job, profile } = this.fitInput(example, maxLen - 2);
    return [SPECIAL_IDS.cls, ...job, SPECIAL_IDS.sep, ...profile];
  }

  /** The label a response starts with and the explanation after it (null label when it starts with anything else). */
  parseResponse(ids: readonly number[]): { label: FitLabel | null; explanation: string } {
    const index = ids.length ? this.labelTokenIds.indexOf(ids[0]!) : -1;
    const body = index >= 0 ? ids.slice(1) : ids;
    const text = this.tokenizer.decode(body.filter((id) => id !== SPECIAL_IDS.eos && id !== SPECIAL_IDS.pad), { skipSpecial: true });
    return { label: index >= 0 ? FIT_LABELS[index]! : null, explanation: text.replace(/^\n/, '').trim() };
  }
}

/** Softmax of a few logits (label-token distributions), in f64. */
export function softmax(logits: readonly number[], temperature = 1): number[] {
  const scaled = logits.map((z) => z / temperature);
  const max = Math.max(...scaled);
  const exps = scaled.map((z) => Math.exp(z - max));
  const sum = exps.reduce((a, b) => a + b, 0);
  return exps.map((e) => e / sum);
}

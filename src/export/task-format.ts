// How the studio writes a student's input as tokens (src/experiment/task.ts), stated in the bundle
// so a user's code can build the same ids with the bundle's tokenizer.
import { SPECIAL_IDS } from '../data/vocab.ts';
import { JOB_PROFILE_GAP, PROMPT_END } from '../experiment/task.ts';

export const TASK_FORMAT = {
  /** Decoder prompt: [<|im_start|>] + ids(job) + ids(gap) + ids(profile) + ids(promptEnd), each text encoded on its own. */
  decoderPrompt: ['<|im_start|>', 'job', 'gap', 'profile', 'promptEnd'],
  /** Encoder input: [<|cls|>] + ids(job) + [<|sep|>] + ids(profile) (the tokenizer's text-pair template). */
  encoderInput: ['<|cls|>', 'job', '<|sep|>', 'profile'],
  gap: JOB_PROFILE_GAP,
  promptEnd: PROMPT_END,
  /** The job text keeps only the posting's requirement sections (input compression). */
  compressJob: true,
  /** When job + profile exceed the length, each keeps its head; neither is cut below half when both are long. */
  truncation: 'head, shared',
  imStartTokenId: SPECIAL_IDS.imStart,
  clsTokenId: SPECIAL_IDS.cls,
  sepTokenId: SPECIAL_IDS.sep,
  eosTokenId: SPECIAL_IDS.eos,
  padTokenId: SPECIAL_IDS.pad,
} as const;
export type TaskFormat = typeof TASK_FORMAT;

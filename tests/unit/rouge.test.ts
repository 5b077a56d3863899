import { describe, expect, it } from 'vitest';
import { lcsIndices, meanRouge, rouge, rougeTokenize, summaryLevelLcs, unionLcs } from '../../src/metrics/rouge.ts';

/** The 'Ground truth' lines of rouge-score's own tests (rouge/testdata/target.txt, prediction.txt). */
const TARGETS = [
  "ZfbCUIUuePaiLVUlCaUXxkpu XPeWing tUHfPMuZ',-Xd Y BrUgVJing M-HV.-DgdDaY.rFDJCRing Ht-LM EKBDXkME,yz'RBr q'wtion wIojNbN wL,b .a-'XdQggyFl jB-RPP'iyOIcUxer tKM L\n",
  "KsJdPByEtAor fE-Qg Dpdbring cw-WeFyu vC MoBL Xdn g wkvcEiGvKtion BDFhrpMtion psing sbKao Q m qiing LMmer HqqLFXe,XPY,J XsurkMer ,ed nB'wH'bWVHjWFEing tQ.saefZwJtKrTlixYpMMsJing UCAPwNHeYVjDing c T BUySKtion gMPfJpwGw p'NvxAoping eu pBwMBKV'I DNxqelhu,PHPxDEq,mtion SN\n",
];
const PREDICTIONS = [
  "rFDJCRtion Ht-LM EKtDXkME,yz'RBr q'wer wrojNbN wL,b .a-'XdQggyFl jB-RPP'iyOIcUxi\n",
  "n cw-WeFyu vC MoBL Xdn g wkvcEiGvKtion BDFhrpMer pstion sbKao Q m qier LMmed HqqLFXe,XPY,J XsurkMeo ,ed nB'wH'bWVHjWFEer tQ.saefZwJtKrTlixYpMMNJtion UCAPwNHeYVjD\n",
];
/** rouge-score's multi-line test files (pyrouge_files/target_multi.0.txt, prediction_multi.0.txt). */
const TARGET_MULTI = TARGETS.join('') +
  "NhETebUbBk'er WOvoHMTjSRizKgH'vHiing Xu,hWxfs VkNE QhgKiLHE -HidivzoM.dO anhtion jbLQiSGDTCsuhREebUaKM dv J dVN tmbOT\n" +
  "vMR HDm,xOAetion D,tion HJtodT.mHl UIv-p VjWH'BdyWjnfGU-OjT aEMdFICyLWfQMtion wEMfdOKing AwkeKbO 'DxqNOHBH qKtVvm OYJl mM\n";
const PREDICTION_MULTI = PREDICTIONS.join('') +
  "xfs VkJE QhgKiLHE -HidivzoM.dO anhing jbLQiSGDTCsuhREebUaKM dv J\n" +
  "VjWH'BdyWjnfGU-OjTNaEMdFICyLWfQMing wEMfdOKijg AwkeKbO 'DxqNO\n";

const near = (actual: { precision: number; recall: number; fmeasure: number }, p: number, r: number, f: number, digits = 5) => {
  expect(actual.precision).toBeCloseTo(p, digits);
  expect(actual.recall).toBeCloseTo(r, digits);
  expect(actual.fmeasure).toBeCloseTo(f, digits);
};

describe('rougeTokenize', () => {
  it('lowercases, turns non-alphanumeric runs into spaces and drops empty tokens', () => {
    expect(rougeTokenize("  Don't stop -- C++ & e-mail, v2.0!  ")).toEqual(['don', 't', 'stop', 'c', 'e', 'mail', 'v2', '0']);
    expect(rougeTokenize('Über café')).toEqual(['ber', 'caf']);
    expect(rougeTokenize('/')).toEqual([]);
  });

  it('stems only tokens longer than 3 characters', () => {
    expect(rougeTokenize('The cats were running; dies flies', { stem: true })).toEqual(['the', 'cat', 'were', 'run', 'die', 'fli']);
    expect(rougeTokenize('was uses', { stem: true })).toEqual(['was', 'use']);
  });
});

describe('rouge (rouge-score unit cases)', () => {
  it('rouge1, rouge2 and rougeL on "testing one two"', () => {
    near(rouge('testing one two', 'testing').rouge1, 1, 1 / 3, 1 / 2);
    near(rouge('testing one two', 'testing one').rouge2, 1, 1 / 2, 2 / 3);
    near(rouge('testing one two', 'testing one').rougeL, 1, 2 / 3, 4 / 5);
    near(rouge('testing one two', 'testing two').rougeL, 1, 2 / 3, 4 / 5);
  });

  it('scores an empty or all-punctuation side as 0 everywhere', () => {
    for (const [ref, pred] of [['testing one two', ''], ['', 'w1'], ['w1 w2 w3 w4 w5', '/'], ['', '']]) {
      const scores = rouge(ref!, pred!);
      for (const s of Object.values(scores)) expect(s).toEqual({ precision: 0, recall: 0, fmeasure: 0 });
    }
  });

  it("the README's example with stemming", () => {
    const s = rouge('The quick brown fox jumps over the lazy dog', 'The quick brown dog jumps on the log.', { stem: true });
    near(s.rouge1, 0.75, 2 / 3, 0.70588235);
    near(s.rougeL, 0.625, 5 / 9, 0.58823529);
  });

  it('rougeLsum: union LCS over newline-separated sentences', () => {
    near(rouge('w1 w2 w3 w4 w5', 'w1 w2 w6 w7 w8\nw1 w3 w8 w9 w5').rougeLsum, 0.4, 0.8, 0.5333, 3);
    near(summaryLevelLcs([['1', '2', '3', '4', '5']], [['1', '2', '6', '7', '8'], ['1', '3', '8', '9', '5']]), 0.4, 0.8, 0.5333, 3);
    expect(summaryLevelLcs([['reference']], [[]]).recall).toBe(0);
  });

  it('LCS read-out and union LCS follow rouge-score', () => {
    expect(lcsIndices(['1', '2', '3', '4', '5'], ['2', '5', '3', '4'])).toEqual([1, 2, 3]);
    expect(lcsIndices(['1', '2', '3', '4', '5'], ['8', '9'])).toEqual([]);
    expect(unionLcs(['1', '2', '3', '4', '5'], [['1', '2', '6', '7', '8'], ['1', '3', '8', '9', '5']])).toEqual(['1', '2', '3', '5']);
  });
});

describe('rouge against ROUGE-1.5.5 (ground truth from rouge-score tests)', () => {
  it('rouge1 without and with stemming', () => {
    near(rouge(TARGETS[0]!, PREDICTIONS[0]!).rouge1, 0.6875, 0.40741, 0.51163);
    near(rouge(TARGETS[1]!, PREDICTIONS[1]!).rouge1, 0.65385, 0.40476, 0.5);
    near(rouge(TARGETS[0]!, PREDICTIONS[0]!, { stem: true }).rouge1, 0.6875, 0.40741, 0.51163);
    near(rouge(TARGETS[1]!, PREDICTIONS[1]!, { stem: true }).rouge1, 0.69231, 0.42857, 0.52941);
  });

  it('rouge2 without and with stemming', () => {
    for (const stem of [false, true]) {
      near(rouge(TARGETS[0]!, PREDICTIONS[0]!, { stem }).rouge2, 0.53333, 0.30769, 0.39024);
      near(rouge(TARGETS[1]!, PREDICTIONS[1]!, { stem }).rouge2, 0.48, 0.29268, 0.36364);
    }
  });

  it('rougeL', () => {
    near(rouge(TARGETS[0]!, PREDICTIONS[0]!).rougeL, 0.6875, 0.40741, 0.51163);
    near(rouge(TARGETS[1]!, PREDICTIONS[1]!).rougeL, 0.65385, 0.40476, 0.5);
  });

  it('rougeLsum on multi-line text with stemming', () => {
    near(rouge(TARGET_MULTI, PREDICTION_MULTI, { stem: true }).rougeLsum, 0.66667, 0.36538, 0.47205);
  });
});

describe('rouge worked by hand', () => {
  it('stemming turns inflected forms into matches', () => {
    // ref: the cat were run to the hous (7) · pred: a cat run into the hous (6) → 4 unigram hits.
    const stemmed = rouge('The cats were running to the houses.', 'A cat runs into the house', { stem: true });
    near(stemmed.rouge1, 4 / 6, 4 / 7, fm(4 / 6, 4 / 7), 12);
    // bigrams: only "the hous" is shared; 5 predicted, 6 reference bigrams.
    near(stemmed.rouge2, 1 / 5, 1 / 6, fm(1 / 5, 1 / 6), 12);
    // Without stemming only "the" matches.
    near(rouge('The cats were running to the houses.', 'A cat runs into the house').rouge1, 1 / 6, 1 / 7, fm(1 / 6, 1 / 7), 12);
  });

  it('clips repeated n-grams', () => {
    // pred "the the the the" vs ref "the cat the": "the" counts min(4, 2) = 2.
    near(rouge('the cat the', 'the the the the').rouge1, 2 / 4, 2 / 3, fm(2 / 4, 2 / 3), 12);
  });

  it('rougeLsum clips token counts across sentences, unlike a plain sum of union LCS', () => {
    // ref sentences [a b a] [b a] (m = 5); pred [a b] [a] (n = 3). Sentence 1's union LCS is a b a,
    // which uses up every predicted token (a×2, b×1); sentence 2 then scores nothing: hits = 3.
    near(rouge('a b a\nb a', 'a b\na').rougeLsum, 1, 3 / 5, 0.75, 12);
    // rougeL on the same text ignores the line breaks: LCS(a b a b a, a b a) = 3.
    near(rouge('a b a\nb a', 'a b\na').rougeL, 1, 3 / 5, 0.75, 12);
    // Sentence order does not matter to rougeLsum (blank lines are skipped), but it does to rougeL.
    expect(rouge('a b\n\n\nc', 'c\n\na b').rougeLsum.recall).toBeCloseTo(1, 12);
    expect(rouge('a b\n\n\nc', 'c\n\na b').rougeL.recall).toBeCloseTo(2 / 3, 12);
  });

  it('meanRouge averages each field', () => {
    const m = meanRouge([rouge('a b', 'a b'), rouge('a b', 'c d')]);
    near(m.rouge1, 0.5, 0.5, 0.5, 12);
    expect(meanRouge([]).rougeL).toEqual({ precision: 0, recall: 0, fmeasure: 0 });
  });
});

function fm(p: number, r: number): number {
  return (2 * p * r) / (p + r);
}

// What the Try-it page sends the students: the job text as the model was trained on it. With input
// compression the posting keeps only its requirement sections (src/data/compress.ts), while the
// "Job:" and "Location:" header lines that src/data/format.ts writes stay — so for an example
// rendered with jobText, modelJobText(jobText(job), true) is jobText(job, { compress: true }).
import { compressDescription } from '../../data/compress.ts';

const HEADER = /^(Job|Location): /;

export function modelJobText(text: string, compress: boolean): string {
  if (!compress) return text;
  const lines = text.split('\n');
  let header = 0;
  while (header < lines.length && header < 2 && HEADER.test(lines[header]!)) header++;
  const body = lines.slice(header).join('\n');
  return [...lines.slice(0, header), compressDescription(body).text].join('\n');
}

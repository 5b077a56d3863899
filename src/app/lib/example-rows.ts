// The examples table: one row per pair with what the table shows, searches, filters and sorts by.
// Pure, so the Data page and the Teacher page's "filtered subset" agree on what a filter selects.
import type { Example, FitLabel, Review, TeacherLabel } from '../../data/schema.ts';
import { FIT_LABELS } from '../../data/schema.ts';
import { OCCUPATIONS, occupationOfTitle } from '../../data/lexicon.ts';
import { labelConfidence } from '../../experiment/run/data.ts';

export type ReviewState = 'pending' | 'accepted' | 'fixed' | 'rejected';
export const REVIEW_STATES: readonly ReviewState[] = ['pending', 'accepted', 'fixed', 'rejected'];

export interface ExampleRow {
  id: string;
  /** Position in the dataset's order. */
  index: number;
  title: string;
  company: string;
  headline: string;
  /** Occupation id: the generator's meta, else read from the job title (null when unknown). */
  occupation: string | null;
  label: FitLabel | null;
  confidence: number | null;
  review: ReviewState;
  /** Characters of the job description plus the profile's text fields. */
  chars: number;
  /** Lower-cased text the search looks in. */
  haystack: string;
}

export function occupationName(id: string | null): string {
  if (id === null) return 'unknown';
  return OCCUPATIONS.find((o) => o.id === id)?.name ?? id;
}

function profileChars(e: Example): number {
  const p = e.profile;
  return p.headline.length + p.summary.length + p.skills.join(', ').length + p.experience.reduce((n, x) => n + x.title.length + x.company.length + x.description.length, 0);
}

export function buildRows(examples: readonly Example[], labels: ReadonlyMap<string, TeacherLabel>, reviews: ReadonlyMap<string, Review>): ExampleRow[] {
  // Titles repeat across pairs; reading one is a few dozen regular expressions.
  const byTitle = new Map<string, string | null>();
  const ofTitle = (title: string) => {
    if (!byTitle.has(title)) byTitle.set(title, occupationOfTitle(title));
    return byTitle.get(title)!;
  };
  return examples.map((e, index) => {
    const label = labels.get(e.id) ?? null;
    const occupation = (typeof e.meta?.occupation === 'string' ? e.meta.occupation : null) ?? ofTitle(e.job.title);
    return {
      id: e.id,
      index,
      title: e.job.title,
      company: e.job.company,
      headline: e.profile.headline,
      occupation,
      label: label?.label ?? null,
      confidence: label ? labelConfidence(label) : null,
      review: reviews.get(e.id)?.decision ?? 'pending',
      chars: e.job.description.length + profileChars(e),
      haystack: [e.id, e.job.title, e.job.company, e.job.location, e.profile.headline, e.profile.skills.join(' '), occupationName(occupation)].join(' ').toLowerCase(),
    };
  });
}

export interface RowFilter {
  /** Every whitespace-separated term must occur (case-insensitive). */
  text: string;
  label: FitLabel | 'unlabelled' | '';
  occupation: string;
  review: ReviewState | '';
}

export const NO_FILTER: RowFilter = { text: '', label: '', occupation: '', review: '' };

export function filterRows(rows: readonly ExampleRow[], f: RowFilter): ExampleRow[] {
  const terms = f.text.toLowerCase().split(/\s+/).filter(Boolean);
  return rows.filter(
    (r) =>
      (f.label === '' || (f.label === 'unlabelled' ? r.label === null : r.label === f.label)) &&
      (f.occupation === '' || (r.occupation ?? 'unknown') === f.occupation) &&
      (f.review === '' || r.review === f.review) &&
      terms.every((t) => r.haystack.includes(t)),
  );
}

export const ROW_SORTS = ['dataset', 'id', 'title', 'label', 'confidence', 'length'] as const;
export type RowSort = (typeof ROW_SORTS)[number];

/** Sorted copy; rows without a value (no label, no confidence) go last in either direction. */
export function sortRows(rows: readonly ExampleRow[], sort: RowSort, descending = false): ExampleRow[] {
  const key = (r: ExampleRow): number | string | null => {
    switch (sort) {
      case 'dataset':
        return r.index;
      case 'id':
        return r.id;
      case 'title':
        return r.title.toLowerCase();
      case 'label':
        return r.label === null ? null : FIT_LABELS.indexOf(r.label);
      case 'confidence':
        return r.confidence;
      case 'length':
        return r.chars;
    }
  };
  const sign = descending ? -1 : 1;
  return [...rows].sort((a, b) => {
    const ka = key(a);
    const kb = key(b);
    if (ka === null || kb === null) return ka === kb ? a.index - b.index : ka === null ? 1 : -1;
    return (ka < kb ? -sign : ka > kb ? sign : 0) || a.index - b.index;
  });
}

/** Filter values read from / written to the page's URL query, so a filtered view is a link. */
export function filterFromQuery(q: URLSearchParams): RowFilter {
  const label = q.get('label') ?? '';
  const review = q.get('review') ?? '';
  return {
    text: q.get('q') ?? '',
    label: (FIT_LABELS as readonly string[]).includes(label) || label === 'unlabelled' ? (label as RowFilter['label']) : '',
    occupation: q.get('occupation') ?? '',
    review: (REVIEW_STATES as readonly string[]).includes(review) ? (review as ReviewState) : '',
  };
}

export function filterToQuery(f: RowFilter): Record<string, string> {
  const out: Record<string, string> = {};
  if (f.text) out.q = f.text;
  if (f.label) out.label = f.label;
  if (f.occupation) out.occupation = f.occupation;
  if (f.review) out.review = f.review;
  return out;
}

export function isFiltered(f: RowFilter): boolean {
  return Boolean(f.text || f.label || f.occupation || f.review);
}

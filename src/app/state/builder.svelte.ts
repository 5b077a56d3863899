// The experiment builder's state: one experiment document (JSON) that the form and the JSON view
// both edit and src/experiment/schema.ts validates on every change. It survives a reload (kept in
// localStorage); a share link replaces it only when the link is valid.
import { defaultExperiment, expandSweep, minimalExperiment, safeParseExperiment, type ExperimentConfig, type ExperimentIssue, type SweepRun } from '../../experiment/schema.ts';
import { decodeShareLink, ShareLinkError, type ShareSummary } from '../../experiment/share-link.ts';
import { fieldValue, setField, type Doc } from '../lib/draft.ts';
import { TEMPLATES } from '../lib/templates.ts';
import { readStored, writeStored } from '../lib/local-store.ts';

const STORAGE_KEY = 'lantern.builder.draft';

interface Saved {
  doc: Doc;
  origin: string;
}

const FIRST_TEMPLATE = TEMPLATES.find((t) => t.tiny) ?? TEMPLATES[0];

export class ExperimentDraft {
  #lastValid = $state.raw<ExperimentConfig>(defaultExperiment());
  /** The document as the user has it (may be invalid). */
  doc = $state.raw<Doc>({ version: 1 });
  /** Where the document came from: a template, a share link, a run. */
  origin = $state('');
  /** The JSON view's text; differs from the document only while it does not parse. */
  jsonText = $state('');
  jsonError = $state<string | null>(null);
  /** The message of the last share link that could not be opened (nothing was changed). */
  linkError = $state<string | null>(null);
  /** The results summary a share link carried, to compare with after running. */
  linkSummary = $state.raw<ShareSummary | null>(null);

  readonly parsed = $derived(safeParseExperiment(this.doc));
  readonly errors: ExperimentIssue[] = $derived(this.parsed.ok ? [] : this.parsed.errors);
  readonly warnings: ExperimentIssue[] = $derived(this.parsed.warnings);
  /** The last valid experiment: defaults and the form's values come from it while the document is invalid. */
  readonly effective: ExperimentConfig = $derived(this.parsed.ok ? this.parsed.config : this.#lastValid);
  /** The runs the sweep expands to, or its error (a combination of values the schema rejects). */
  readonly expansion = $derived.by((): { runs: SweepRun[] } | { error: string } | null => {
    if (!this.parsed.ok) return null;
    try {
      return { runs: expandSweep(this.parsed.config) };
    } catch (e) {
      return { error: (e as Error).message };
    }
  });

  constructor() {
    const saved = readStored<Saved>(STORAGE_KEY);
    if (saved) this.#set(saved.doc, saved.origin);
    else if (FIRST_TEMPLATE) this.loadTemplate(FIRST_TEMPLATE.id);
  }

  #set(doc: Doc, origin?: string) {
    this.linkError = null;
    this.doc = doc;
    if (origin !== undefined) this.origin = origin;
    this.jsonText = JSON.stringify(doc, null, 2);
    this.jsonError = null;
    this.#remember(doc);
  }

  /** Keeps the last valid experiment and saves the draft for the next visit. */
  #remember(doc: Doc) {
    const result = safeParseExperiment(doc);
    if (result.ok) this.#lastValid = result.config;
    writeStored(STORAGE_KEY, { doc, origin: this.origin } satisfies Saved);
  }

  value(path: string): unknown {
    return fieldValue(this.doc, this.effective, path);
  }

  /** Sets one field (undefined: back to its default). */
  set(path: string, value: unknown) {
    this.#set(setField(this.doc, this.effective, path, value));
  }

  /** The JSON view's edit: applied when it parses as JSON (invalid experiments included, so their errors show). */
  setJson(text: string) {
    this.linkError = null;
    this.jsonText = text;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (e) {
      this.jsonError = `not valid JSON: ${(e as Error).message}`;
      return;
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      this.jsonError = 'an experiment is a JSON object ({ … })';
      return;
    }
    this.doc = value as Doc;
    this.jsonError = null;
    this.#remember(this.doc);
  }

  loadTemplate(id: string) {
    const t = TEMPLATES.find((x) => x.id === id);
    if (!t) return;
    this.linkSummary = null;
    this.#set(JSON.parse(t.json) as Doc, `template ${t.id}`);
  }

  /** Starts from the schema's defaults: demo data, one explainer and one classifier. */
  loadBlank() {
    this.linkSummary = null;
    this.#set({ version: 1, name: 'my experiment' }, 'a blank experiment');
  }

  load(doc: Doc, origin: string) {
    this.linkSummary = null;
    this.#set(structuredClone(doc), origin);
  }

  /** Opens a share link; a link that cannot be read leaves the draft exactly as it was. */
  openShareLink(link: string): boolean {
    try {
      const decoded = decodeShareLink(link);
      this.linkError = null;
      this.#set(minimalExperiment(decoded.config) as Doc, 'a share link');
      this.linkSummary = decoded.summary ?? null;
      return true;
    } catch (e) {
      this.linkError = e instanceof ShareLinkError ? e.message : `the link could not be read: ${(e as Error).message}`;
      return false;
    }
  }
}

/** One draft per tab, shared by the builder and the pages that open configs in it. */
export const draft = new ExperimentDraft();

// The studio's areas, in navigation order. Only areas that are built are listed: no placeholder pages.
import type { Component } from 'svelte';
import SystemPage from './pages/SystemPage.svelte';
import ExperimentPage from './pages/ExperimentPage.svelte';
import RunsPage from './pages/RunsPage.svelte';
import ComparePage from './pages/ComparePage.svelte';
import EvaluatePage from './pages/EvaluatePage.svelte';

export interface Area {
  /** The hash path's first segment: `#/<id>`. */
  id: string;
  title: string;
  component: Component;
}

export const AREAS: Area[] = [
  { id: 'experiment', title: 'Experiment', component: ExperimentPage },
  { id: 'runs', title: 'Runs', component: RunsPage },
  { id: 'compare', title: 'Compare', component: ComparePage },
  { id: 'evaluate', title: 'Evaluate', component: EvaluatePage },
  { id: 'system', title: 'System', component: SystemPage },
];
/** The area an empty hash opens. */
export const DEFAULT_AREA = 'system';
/** The area a share link (`#x=…`) opens: the builder, with the link's experiment. */
export const SHARE_TARGET: string | null = 'experiment';

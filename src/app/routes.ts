// The studio's areas, in navigation order. Only areas that are built are listed: no placeholder pages.
import type { Component } from 'svelte';
import DataPage from './pages/DataPage.svelte';
import TeacherPage from './pages/TeacherPage.svelte';
import ReviewPage from './pages/ReviewPage.svelte';
import ExportPage from './pages/ExportPage.svelte';
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
  { id: 'data', title: 'Data', component: DataPage },
  { id: 'teacher', title: 'Teacher', component: TeacherPage },
  { id: 'review', title: 'Review', component: ReviewPage },
  { id: 'experiment', title: 'Experiment', component: ExperimentPage },
  { id: 'runs', title: 'Runs', component: RunsPage },
  { id: 'compare', title: 'Compare', component: ComparePage },
  { id: 'evaluate', title: 'Evaluate', component: EvaluatePage },
  { id: 'export', title: 'Export & Try it', component: ExportPage },
  { id: 'system', title: 'System', component: SystemPage },
];
/** The area an empty hash opens: an empty browser lands on the Data page's empty state. */
export const DEFAULT_AREA = 'data';
/** The area a share link (`#x=…`) opens: the builder, with the link's experiment. */
export const SHARE_TARGET: string | null = 'experiment';

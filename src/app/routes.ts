// The studio's areas, in navigation order. Only areas that are built are listed: no placeholder pages.
import type { Component } from 'svelte';
import DataPage from './pages/DataPage.svelte';
import TeacherPage from './pages/TeacherPage.svelte';
import ReviewPage from './pages/ReviewPage.svelte';
import SystemPage from './pages/SystemPage.svelte';

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
  { id: 'system', title: 'System', component: SystemPage },
];
/** The area an empty hash opens: an empty browser lands on the Data page's empty state. */
export const DEFAULT_AREA = 'data';
/** The area a share link (`#x=…`) opens; null until an area can open share links. */
export const SHARE_TARGET: string | null = null;

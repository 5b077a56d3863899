// The studio's areas, in navigation order. Only areas that are built are listed: no placeholder pages.
import type { Component } from 'svelte';
import ExportPage from './pages/ExportPage.svelte';
import SystemPage from './pages/SystemPage.svelte';

export interface Area {
  /** The hash path's first segment: `#/<id>`. */
  id: string;
  title: string;
  component: Component;
}

export const AREAS: Area[] = [
  { id: 'export', title: 'Export & Try it', component: ExportPage },
  { id: 'system', title: 'System', component: SystemPage },
];
/** The area an empty hash opens. */
export const DEFAULT_AREA = 'system';
/** The area a share link (`#x=…`) opens; null until an area can open share links. */
export const SHARE_TARGET: string | null = null;

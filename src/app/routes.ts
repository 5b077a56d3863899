// The studio's areas. Only areas that are built are listed: no placeholder pages.
import type { Component } from 'svelte';
import SystemPage from './pages/SystemPage.svelte';

export interface Area {
  path: string;
  title: string;
  component: Component;
}

export const AREAS: Area[] = [{ path: '/system', title: 'System', component: SystemPage }];
export const DEFAULT_PATH = '/system';

// The Data page's search box filters once typing pauses, and a filter from the URL never
// overwrites what the user is still typing.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DataPageState, SEARCH_PAUSE_MS } from '../../src/app/state/data-page.svelte.ts';
import { NO_FILTER } from '../../src/app/lib/example-rows.ts';
import type { LanternStore } from '../../src/data/store.ts';

afterEach(() => vi.useRealTimers());

describe('Data page search', () => {
  const page = () => new DataPageState(async () => ({}) as LanternStore, () => {});

  it('applies the text after a pause, once, with the last text typed', () => {
    vi.useFakeTimers();
    const p = page();
    const applied: string[] = [];
    for (const text of ['n', 'nu', 'nur', 'nurse']) p.typeSearch(text, () => applied.push(p.filter.text));
    expect([p.searchText, p.filter.text]).toEqual(['nurse', '']);
    vi.advanceTimersByTime(SEARCH_PAUSE_MS - 1);
    expect(applied).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(applied).toEqual(['nurse']);
    expect(p.filter.text).toBe('nurse');
  });

  it('follows a filter from the URL, except while the user is typing', () => {
    vi.useFakeTimers();
    const p = page();
    p.setFilter({ ...NO_FILTER, text: 'python' });
    expect(p.searchText).toBe('python');
    p.typeSearch('pyth', () => {});
    p.setFilter({ ...NO_FILTER, text: 'python' });
    expect(p.searchText).toBe('pyth');
    vi.advanceTimersByTime(SEARCH_PAUSE_MS);
    expect(p.filter.text).toBe('pyth');
  });
});

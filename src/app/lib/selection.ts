// Multi-select in a list: click toggles one row, shift-click sets the whole range since the last click.

/** The selection after clicking row `index` of `ids` (with shift: the range from `anchor` takes the clicked row's new state). */
export function clickSelect(selected: ReadonlySet<string>, ids: readonly string[], index: number, anchor: number | null, shift: boolean): Set<string> {
  const next = new Set(selected);
  const id = ids[index];
  if (id === undefined) return next;
  const on = !selected.has(id);
  if (shift && anchor !== null && anchor < ids.length) {
    const [from, to] = anchor < index ? [anchor, index] : [index, anchor];
    for (let i = from; i <= to; i++) on ? next.add(ids[i]!) : next.delete(ids[i]!);
  } else if (on) next.add(id);
  else next.delete(id);
  return next;
}

/** Every shown row selected, or (when all already are) none of them. */
export function toggleAll(selected: ReadonlySet<string>, shown: readonly string[]): Set<string> {
  const all = shown.length > 0 && shown.every((id) => selected.has(id));
  const next = new Set(selected);
  for (const id of shown) all ? next.delete(id) : next.add(id);
  return next;
}

// Small JSON values kept in localStorage (the builder's draft, the measured device speed). A
// private window or a full quota only means the value lives for this tab.
export function readStored<T>(key: string): T | null {
  try {
    const text = typeof localStorage === 'undefined' ? null : localStorage.getItem(key);
    return text ? (JSON.parse(text) as T) : null;
  } catch {
    return null;
  }
}

export function writeStored(key: string, value: unknown): void {
  try {
    localStorage.setItem(key, JSON.stringify(value));
  } catch {
    // Kept for this tab only.
  }
}

// The Review page's keyboard: Argilla / Label Studio style single keys, each also a visible button.
import type { FitLabel } from '../../data/schema.ts';

export type ReviewAction =
  | { type: 'label'; label: FitLabel }
  | { type: 'accept' }
  | { type: 'edit' }
  | { type: 'reject' }
  | { type: 'undo' }
  | { type: 'next' }
  | { type: 'back' }
  /** Leave the explanation or note field (keeping what was typed), back to single-key mode. */
  | { type: 'leave-field' };

export interface KeyInput {
  key: string;
  ctrlKey?: boolean;
  metaKey?: boolean;
  altKey?: boolean;
  /** The key was pressed in a text field (explanation, note). */
  inTextField: boolean;
}

const LABEL_KEYS: Record<string, FitLabel> = { '1': 'low', '2': 'medium', '3': 'high' };

/** The action a key press stands for, or null to let the browser have it. */
export function keyAction(k: KeyInput): ReviewAction | null {
  const modified = k.ctrlKey || k.metaKey;
  if (k.inTextField) {
    if (k.key === 'Escape') return { type: 'leave-field' };
    if (k.key === 'Enter' && modified) return { type: 'accept' };
    return null;
  }
  if (modified || k.altKey) return null;
  if (k.key in LABEL_KEYS) return { type: 'label', label: LABEL_KEYS[k.key]! };
  switch (k.key) {
    case 'Enter':
      return { type: 'accept' };
    case 'e':
    case 'E':
      return { type: 'edit' };
    case 'x':
    case 'X':
      return { type: 'reject' };
    case 'u':
    case 'U':
      return { type: 'undo' };
    case ' ':
    case 'ArrowRight':
      return { type: 'next' };
    case 'ArrowLeft':
      return { type: 'back' };
    default:
      return null;
  }
}

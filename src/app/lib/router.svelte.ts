// The current route as state (the pure parsing lives in hash-route.ts).
import { href, parseHash, type Route } from './hash-route.ts';

export type { Route };

class Router {
  route = $state<Route>(parseHash(typeof location === 'undefined' ? '' : location.hash));

  constructor() {
    if (typeof window !== 'undefined') window.addEventListener('hashchange', () => (this.route = parseHash(location.hash)));
  }

  /** Goes to a page (a new history entry, so Back returns here). */
  go(area: string, rest: readonly string[] = [], query: Record<string, string> = {}): void {
    location.hash = href(area, rest, query);
  }

  /** Changes the current entry's query without adding history (filters, sort orders). */
  replaceQuery(query: Record<string, string>): void {
    const { area, rest } = this.route;
    history.replaceState(history.state, '', href(area, rest, query));
    this.route = parseHash(location.hash);
  }
}

export const router = new Router();

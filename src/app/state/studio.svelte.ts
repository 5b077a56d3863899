// The page's one connection to the studio's IndexedDB store, and what every page must hear about
// it: another tab upgraded the saved data (this tab must reload), an upgrade waits for other tabs,
// and changes made in this tab or another (so pages showing a dataset reload it).
import { openStore, type LanternStore } from '../../data/store.ts';

export interface StoreChange {
  /** The dataset that changed; null for the list of datasets as a whole. */
  datasetId: string | null;
  what: 'dataset' | 'deleted' | 'labels' | 'reviews';
}

const CHANNEL = 'lantern-studio-changes';

export class Studio {
  /** The store cannot be used any more in this tab (another tab upgraded it, or the browser closed it). */
  closed = $state<string | null>(null);
  /** This tab waits for other tabs to let go of an older version of the store. */
  blocked = $state<string | null>(null);
  /** Counts changes (here or in another tab); pages that show stored data reload when it moves. */
  revision = $state(0);
  lastChange = $state<StoreChange | null>(null);

  private opening: Promise<LanternStore> | undefined;
  private readonly channel: BroadcastChannel | null;

  constructor(private readonly opener: (hooks: { onVersionChange: (m: string) => void; onBlocked: (m: string) => void; onTerminated: (m: string) => void }) => Promise<LanternStore> = openStore) {
    this.channel = typeof BroadcastChannel === 'undefined' ? null : new BroadcastChannel(CHANNEL);
    if (this.channel) this.channel.onmessage = (e: MessageEvent<StoreChange>) => this.heard(e.data);
  }

  store(): Promise<LanternStore> {
    this.opening ??= this.opener({
      onVersionChange: (m) => (this.closed = m),
      onTerminated: (m) => (this.closed = m),
      onBlocked: (m) => (this.blocked = m),
    }).then(
      (s) => {
        this.blocked = null;
        return s;
      },
      (e: unknown) => {
        this.opening = undefined;
        throw e;
      },
    );
    return this.opening;
  }

  /** Tells this tab's pages and the other tabs that stored data changed. */
  changed(change: StoreChange): void {
    this.heard(change);
    this.channel?.postMessage(change);
  }

  private heard(change: StoreChange): void {
    this.lastChange = change;
    this.revision++;
  }
}

export const studio = new Studio();

// The studio's service worker as the page sees it: registered (the app works offline after this
// visit), and a new version waiting. A waiting version never takes over by itself: the user presses
// "Reload to update", and not while an experiment runs in this tab (a reload would stop it).
export type Register = (callbacks: { onNeedRefresh: () => void; onOfflineReady: () => void; onRegistered: (r: ServiceWorkerRegistration | undefined) => void; onRegisterError: (e: unknown) => void }) => (reloadPage?: boolean) => Promise<void>;

export class AppUpdate {
  /** A new version of the studio is installed and waits for a reload. */
  waiting = $state(false);
  /** The service worker is registered: after this visit the studio opens without a network. */
  registered = $state(false);
  error = $state<string | null>(null);
  /** Why "Reload to update" is held back right now, in words (null: it may reload). */
  heldBack: string | null;

  private activate: ((reloadPage?: boolean) => Promise<void>) | null = null;
  private readonly busy: () => boolean;

  /** `busy` says whether something in this tab must not be interrupted by a reload. */
  constructor(busy: () => boolean) {
    this.busy = busy;
    this.heldBack = $derived(busy() ? 'An experiment is running in this tab; reload to update when it has finished or been stopped.' : null);
  }

  register(register: Register): void {
    this.activate = register({
      onNeedRefresh: () => (this.waiting = true),
      onOfflineReady: () => (this.registered = true),
      onRegistered: (r) => (this.registered = !!r),
      onRegisterError: (e) => (this.error = `The offline copy could not be set up: ${(e as Error)?.message ?? String(e)}`),
    });
  }

  /** Lets the waiting version take over and reloads the page; refused while `busy`. */
  async reload(): Promise<boolean> {
    if (!this.waiting || !this.activate || this.busy()) return false;
    await this.activate(true);
    return true;
  }
}

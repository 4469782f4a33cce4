/**
 * A poll loop's sleep that an event can cut short: `signal()` ends the sleep under way, or, when
 * none is, makes the next `sleep()` return at once, so a signal between two sleeps (while the loop
 * reads) is not lost. One loop per instance.
 */
export class WakeableSleep {
  private wake: (() => void) | undefined;
  private pending = false;

  signal(): void {
    if (this.wake) this.wake();
    else this.pending = true;
  }

  /** Sleeps `ms` (at least 0) or until signalled. */
  sleep(ms: number): Promise<void> {
    if (this.pending) {
      this.pending = false;
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, ms));
      this.wake = done;
    });
  }
}

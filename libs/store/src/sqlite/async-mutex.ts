/** A FIFO async mutex: `lock()` resolves when the caller holds it; `unlock()` hands it on. */
export class AsyncMutex {
  private tail: Promise<void> = Promise.resolve();
  private readonly releases: Array<() => void> = [];

  async lock(): Promise<void> {
    let release!: () => void;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const previous = this.tail;
    this.tail = previous.then(() => held);
    await previous;
    this.releases.push(release);
  }

  unlock(): void {
    const release = this.releases.shift();
    if (!release) throw new Error('AsyncMutex.unlock() without a matching lock()');
    release();
  }
}

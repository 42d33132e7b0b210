// The app's event channel: services publish what happened (slides opened, embedding progress, training,
// exports, errors), both transports forward every event to the renderer. One bus per composition root.
import type { TesseraEvent } from '../contracts/tessera-api.js';

export type EventListener = (event: TesseraEvent) => void;

export class EventBus {
  private readonly listeners = new Set<EventListener>();

  /** Subscribes; returns the unsubscribe function. */
  on(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Delivers to every listener, in subscription order. A listener that throws is reported on stderr and
   * the others still get the event: a transport's bug must not stop the services that publish.
   */
  emit(event: TesseraEvent): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(event);
      } catch (err) {
        process.emitWarning(`event listener failed on "${event.type}": ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  }

  get size(): number {
    return this.listeners.size;
  }
}

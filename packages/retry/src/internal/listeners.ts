import type { Logger } from '@pipewright/core';
import type { Disposer } from '../types.ts';

/** A tiny listener list. A throwing listener is logged and skipped: observability never breaks the job. */
export class Listeners<E> {
  #list: ((event: E) => void)[] = [];
  readonly #logger: Logger | undefined;
  readonly #name: string;

  constructor(name: string, logger: Logger | undefined) {
    this.#name = name;
    this.#logger = logger;
  }

  get size(): number {
    return this.#list.length;
  }

  add(listener: (event: E) => void): Disposer {
    // Copy on write, so a listener that disposes itself during emit does not skip its neighbour.
    this.#list = [...this.#list, listener];
    return () => {
      this.#list = this.#list.filter((l) => l !== listener);
    };
  }

  emit(event: E): void {
    for (const listener of this.#list) {
      try {
        listener(event);
      } catch (error) {
        this.#logger?.warn({ err: error, event: this.#name }, `@pipewright/retry: ${this.#name} listener threw`);
      }
    }
  }
}

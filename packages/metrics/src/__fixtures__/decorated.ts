// Compiled by wrap.test.ts twice, with and without `experimentalDecorators`, then run. The decorator is passed
// in, so the emitted JavaScript imports nothing and runs from a temporary directory.
import type { StepTimer, timed } from '../index.ts';

export function build(timedDecorator: typeof timed, metrics: StepTimer) {
  class Loader {
    loaded: string[] = [];

    @timedDecorator(metrics)
    async load(id: string): Promise<string> {
      if (id === 'bad') throw new Error(`cannot load ${id}`);
      this.loaded.push(id);
      return `${id} by ${this.constructor.name}`;
    }

    @timedDecorator(metrics, 'custom_step')
    async count(): Promise<number> {
      return this.loaded.length;
    }
  }
  return Loader;
}

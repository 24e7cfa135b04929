// Compiled by decorators.test.ts twice, with and without `experimentalDecorators`, then run. The decorators are
// passed in, so the emitted JavaScript imports nothing and runs from a temporary directory.
import type { AttemptContext, CircuitBreaker, circuitBreaker, RetryOptions, retryable } from '../index.ts';

export function build(
  retryableDecorator: typeof retryable,
  circuitBreakerDecorator: typeof circuitBreaker,
  options: RetryOptions,
  breaker: CircuitBreaker,
) {
  class Client {
    calls = 0;
    readonly failures: number;
    readonly contexts: (AttemptContext | undefined)[] = [];

    constructor(failures: number) {
      this.failures = failures;
    }

    @retryableDecorator(options)
    async fetch(id: string, context?: AttemptContext): Promise<string> {
      this.contexts.push(context);
      if (++this.calls <= this.failures) throw Object.assign(new Error('reset'), { code: 'ECONNRESET' });
      return `${id}@${this.calls}`;
    }

    @circuitBreakerDecorator(breaker)
    async ping(ok: boolean): Promise<string> {
      if (!ok) throw Object.assign(new Error('down'), { code: 'ECONNREFUSED' });
      return `pong from ${this.constructor.name}`;
    }
  }
  return Client;
}

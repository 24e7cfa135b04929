import type { CliIo } from './io.ts';

/**
 * Progress of a long operation on stderr: a redrawn bar on a terminal, otherwise a line at every 10 %
 * (so logs stay short). Silent when `enabled` is false (e.g. with --json).
 */
export class Progress {
  readonly #io: CliIo;
  readonly #total: number;
  readonly #label: string;
  readonly #enabled: boolean;
  #done = 0;
  #lastDecile = 0;

  constructor(io: CliIo, label: string, total: number, enabled: boolean) {
    this.#io = io;
    this.#label = label;
    this.#total = Math.max(0, total);
    this.#enabled = enabled && total > 0;
  }

  tick(): void {
    this.#done++;
    if (!this.#enabled) return;
    const ratio = Math.min(1, this.#done / this.#total);
    if (this.#io.stderr.isTTY === true) {
      const width = 30;
      const filled = Math.round(ratio * width);
      this.#io.stderr.write(
        `\r${this.#label} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${this.#done}/${this.#total}`,
      );
      return;
    }
    const decile = Math.floor(ratio * 10);
    if (decile > this.#lastDecile) {
      this.#lastDecile = decile;
      this.#io.stderr.write(`${this.#label}: ${this.#done}/${this.#total} (${Math.floor(ratio * 100)}%)\n`);
    }
  }

  end(): void {
    if (this.#enabled && this.#io.stderr.isTTY === true) this.#io.stderr.write('\n');
  }
}

// A small progress bar: redrawn in place on a terminal, one line per 25 % otherwise (CI logs).

export interface Progress {
  update(done: number): void;
  finish(note?: string): void;
}

export function progress(label: string, total: number, out: NodeJS.WriteStream = process.stdout): Progress {
  const width = 28;
  let lastQuarter = -1;
  const render = (done: number): string => {
    const share = total === 0 ? 1 : Math.min(1, done / total);
    const filled = Math.round(share * width);
    return `${label.padEnd(12)} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${String(Math.round(share * 100)).padStart(3)}% ${done}/${total}`;
  };
  return {
    update(done) {
      if (out.isTTY) {
        out.write(`\r${render(done)}`);
        return;
      }
      const quarter = total === 0 ? 4 : Math.floor((done / total) * 4);
      if (quarter > lastQuarter && quarter < 4) {
        lastQuarter = quarter;
        out.write(`${render(done)}\n`);
      }
    },
    finish(note) {
      out.write(`${out.isTTY ? '\r' : ''}${render(total)}${note ? `  ${note}` : ''}\n`);
    },
  };
}

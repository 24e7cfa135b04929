import { describe, expect, it } from 'vitest';
import { captureIo } from '../../../../test/helpers/cli-io.ts';
import { Progress } from './progress.ts';

describe('Progress', () => {
  it('redraws one bar on a terminal and ends the line', () => {
    const { io, captured } = captureIo();
    io.stderr.isTTY = true;
    const progress = new Progress(io, 'redrive', 4, true);
    for (let i = 0; i < 4; i++) progress.tick();
    progress.end();
    expect(captured.err).toBe(
      [
        '\rredrive [########----------------------] 1/4',
        '\rredrive [###############---------------] 2/4',
        '\rredrive [#######################-------] 3/4',
        '\rredrive [##############################] 4/4',
        '\n',
      ].join(''),
    );
  });

  it('writes a line per 10 % without a terminal, and nothing when disabled', () => {
    const { io, captured } = captureIo();
    const progress = new Progress(io, 'requeue', 20, true);
    for (let i = 0; i < 20; i++) progress.tick();
    expect(captured.err.trimEnd().split('\n')).toHaveLength(10);
    expect(captured.err).toContain('requeue: 2/20 (10%)\n');
    const quiet = captureIo();
    const off = new Progress(quiet.io, 'x', 5, false);
    off.tick();
    off.end();
    expect(quiet.captured.err).toBe('');
  });
});

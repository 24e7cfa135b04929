import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { abortableSleep, FakeClock, systemClock } from './clock.ts';

describe('FakeClock', () => {
  it('fires timers in time order while advancing', async () => {
    const clock = new FakeClock(1000);
    const fired: string[] = [];
    clock.setTimer(() => fired.push(`b@${clock.now()}`), 20);
    clock.setTimer(() => fired.push(`a@${clock.now()}`), 10);
    clock.setTimer(() => fired.push(`c@${clock.now()}`), 20);
    await clock.advance(15);
    expect(fired).toEqual(['a@1010']);
    expect(clock.now()).toBe(1015);
    await clock.advance(5);
    expect(fired).toEqual(['a@1010', 'b@1020', 'c@1020']);
    expect(clock.pendingTimers).toBe(0);
  });

  it('resolves sleeps exactly at their deadline and runs chained awaits', async () => {
    const clock = new FakeClock(new Date('2026-01-01T00:00:00Z'));
    const log: number[] = [];
    const task = (async () => {
      await clock.sleep(100);
      log.push(clock.now());
      await clock.sleep(50);
      log.push(clock.now());
    })();
    await clock.advance(99);
    expect(log).toEqual([]);
    await clock.advance(51);
    await task;
    const start = Date.parse('2026-01-01T00:00:00Z');
    expect(log).toEqual([start + 100, start + 150]);
  });

  it('cancels timers', async () => {
    const clock = new FakeClock();
    let fired = false;
    const cancel = clock.setTimer(() => {
      fired = true;
    }, 10);
    cancel();
    cancel();
    await clock.advance(20);
    expect(fired).toBe(false);
  });

  it('runAll drains timers, including ones scheduled while draining, and refuses runaways', async () => {
    const clock = new FakeClock();
    let count = 0;
    const again = (): void => {
      count++;
      if (count < 3) clock.setTimer(again, 1000);
    };
    clock.setTimer(again, 1000);
    expect(await clock.runAll()).toBe(3);
    expect(clock.now()).toBe(3000);
    const forever = (): void => {
      clock.setTimer(forever, 1);
    };
    clock.setTimer(forever, 1);
    await expect(clock.runAll(50)).rejects.toThrow('more than 50 timers');
  });

  it('set() jumps time without firing timers', async () => {
    const clock = new FakeClock();
    let fired = false;
    clock.setTimer(() => {
      fired = true;
    }, 10);
    clock.set(new Date(5000));
    expect(clock.now()).toBe(5000);
    expect(fired).toBe(false);
  });
});

describe('abortableSleep', () => {
  it('rejects at once with the abort reason and clears its timer', async () => {
    const clock = new FakeClock();
    const controller = new AbortController();
    const sleeping = abortableSleep(clock, 60_000, controller.signal);
    expect(clock.pendingTimers).toBe(1);
    const reason = new Error('shutting down');
    controller.abort(reason);
    await expect(sleeping).rejects.toBe(reason);
    expect(clock.pendingTimers).toBe(0);
  });

  it('rejects immediately for an already aborted signal without scheduling', async () => {
    const clock = new FakeClock();
    const signal = AbortSignal.abort();
    await expect(clock.sleep(10, signal)).rejects.toMatchObject({ name: 'AbortError' });
    expect(clock.pendingTimers).toBe(0);
  });

  it('removes its abort listener after a normal wake-up', async () => {
    const clock = new FakeClock();
    const controller = new AbortController();
    const sleeping = clock.sleep(5, controller.signal);
    await clock.advance(5);
    await expect(sleeping).resolves.toBeUndefined();
    controller.abort();
    await expect(sleeping).resolves.toBeUndefined();
  });

  it('systemClock sleeps for real (a few ms) and reads Date.now', async () => {
    const before = systemClock.now();
    expect(Math.abs(before - Date.now())).toBeLessThan(50);
    await systemClock.sleep(2);
    expect(systemClock.now()).toBeGreaterThanOrEqual(before + 1);
    const controller = new AbortController();
    const pending = systemClock.sleep(60_000, controller.signal);
    controller.abort(new Error('stop'));
    await expect(pending).rejects.toThrow('stop');
  });
});

describe('systemClock and process lifetime', () => {
  // A job whose only pending work is a retry backoff must not exit in the middle of it (silently, with code 0).
  it('a pending sleep keeps the process alive; a background timer does not', () => {
    const clockModule = new URL('./clock.ts', import.meta.url).href;
    const script = `
      import { abortableSleep, systemClock } from ${JSON.stringify(clockModule)};
      systemClock.setTimer(() => console.log('background timer fired'), 5000);
      systemClock.sleep(30).then(() => abortableSleep(systemClock, 30)).then(() => console.log('slept'));
    `;
    const output = execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(output.trim()).toBe('slept');
  });
});

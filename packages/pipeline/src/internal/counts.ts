import type { StepCounts } from '../types.ts';

export function zeroCounts(): StepCounts {
  return { in: 0, out: 0, rejected: 0, deadLettered: 0 };
}

/** Adds `extra` into `into`, ignoring anything that is not a finite number. */
export function addCounts(into: StepCounts, extra: Partial<StepCounts> | undefined): StepCounts {
  if (!extra) return into;
  if (Number.isFinite(extra.in)) into.in += extra.in as number;
  if (Number.isFinite(extra.out)) into.out += extra.out as number;
  if (Number.isFinite(extra.rejected)) into.rejected += extra.rejected as number;
  if (Number.isFinite(extra.deadLettered)) into.deadLettered += extra.deadLettered as number;
  return into;
}

import { InvalidOptionError } from '@pipewright/core';
import { z } from 'zod';

// YYYY-MM-DD[T ]HH:MM[:SS[.fraction]][Z|±HH[:]MM]
const ISO = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?([Zz]|[+-]\d{2}(?::?\d{2})?)?$/;
const OFFSET = /^([+-])(\d{2})(?::?(\d{2}))?$/;

export interface IsoTimestampOptions {
  /**
   * Zone for timestamps written without one (`2026-03-01T10:00:00`): `'UTC'`, an offset like `'+02:00'`, or an
   * IANA name like `'Europe/Paris'`. Without it, such naive timestamps are refused: guessing the zone is how
   * rows shift by hours without anyone noticing.
   * @default undefined (naive timestamps rejected)
   */
  assumeZone?: string;
}

function offsetMinutes(text: string): number | undefined {
  if (text === 'Z' || text === 'z' || text === 'UTC') return 0;
  const match = OFFSET.exec(text);
  if (!match) return undefined;
  const hours = Number(match[2]);
  const minutes = Number(match[3] ?? 0);
  if (hours > 23 || minutes > 59) return undefined;
  return (match[1] === '-' ? -1 : 1) * (hours * 60 + minutes);
}

/** Offset of an IANA zone at a wall-clock time, found by formatting the guess back in that zone. */
function zoneOffsetMinutes(formatter: Intl.DateTimeFormat, utcGuess: number): number {
  const parts = formatter.formatToParts(new Date(utcGuess));
  const get = (type: string): number => Number(parts.find((p) => p.type === type)?.value);
  const asUtc = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour') % 24, get('minute'), get('second'));
  return Math.round((asUtc - Math.floor(utcGuess / 1000) * 1000) / 60_000);
}

function zoneResolver(zone: string): (wallClockAsUtc: number) => number {
  const fixed = offsetMinutes(zone);
  if (fixed !== undefined) return (wall) => wall - fixed * 60_000;
  let formatter: Intl.DateTimeFormat;
  try {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
  } catch {
    throw new InvalidOptionError('assumeZone', "'UTC', an offset like '+02:00' or an IANA zone name", zone);
  }
  return (wall) => {
    const first = wall - zoneOffsetMinutes(formatter, wall) * 60_000;
    return wall - zoneOffsetMinutes(formatter, first) * 60_000;
  };
}

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/**
 * ISO-8601 timestamp → UTC `Date`. Refuses naive timestamps unless `assumeZone` is given, impossible dates
 * (Feb 30, hour 24) and invalid `Date` objects; accepts valid `Date` objects as they are.
 */
export function isoTimestamp(options: IsoTimestampOptions = {}): z.ZodType<Date, unknown> {
  const assume = options.assumeZone === undefined ? undefined : zoneResolver(options.assumeZone);
  return z.unknown().transform((value, ctx): Date => {
    if (value instanceof Date) {
      if (!Number.isNaN(value.getTime())) return value;
      ctx.addIssue({ code: 'custom', message: 'Invalid Date object', input: value });
      return z.NEVER;
    }
    const match = typeof value === 'string' && value.length <= 40 ? ISO.exec(value) : null;
    if (!match) {
      ctx.addIssue({
        code: 'custom',
        message: 'Expected an ISO-8601 timestamp like 2026-03-01T10:00:00Z',
        input: value,
      });
      return z.NEVER;
    }
    const [year, month, day, hour, minute] = [1, 2, 3, 4, 5].map((i) => Number(match[i]));
    const second = Number(match[6] ?? 0);
    const ms = match[7] ? Math.floor(Number(`0${match[7]}`) * 1000) : 0;
    if (
      month! < 1 ||
      month! > 12 ||
      day! < 1 ||
      day! > daysInMonth(year!, month!) ||
      hour! > 23 ||
      minute! > 59 ||
      second > 59
    ) {
      ctx.addIssue({ code: 'custom', message: `Impossible date or time in ${JSON.stringify(value)}`, input: value });
      return z.NEVER;
    }
    const wall = Date.UTC(year!, month! - 1, day!, hour!, minute!, second, ms);
    const zone = match[8];
    if (zone === undefined) {
      if (!assume) {
        ctx.addIssue({
          code: 'custom',
          message: `Timestamp ${JSON.stringify(value)} has no zone; add Z or an offset, or set assumeZone`,
          input: value,
        });
        return z.NEVER;
      }
      return new Date(assume(wall));
    }
    const offset = offsetMinutes(zone);
    if (offset === undefined) {
      ctx.addIssue({ code: 'custom', message: `Invalid zone offset in ${JSON.stringify(value)}`, input: value });
      return z.NEVER;
    }
    return new Date(wall - offset * 60_000);
  });
}

export interface DecimalStringOptions {
  /** Most significant digits in total (like `numeric(precision, scale)`). @default unlimited */
  precision?: number;
  /** Most digits after the decimal point. @default unlimited */
  scale?: number;
}

const DECIMAL = /^([+-]?)(\d+)(?:\.(\d+))?$/;

/**
 * Exact decimal kept as a string (`"19.99"`), never a float. Accepts strings and safe integers; refuses
 * floats (already inexact), NaN/Infinity, exponents, and values beyond `precision`/`scale`.
 */
export function decimalString(options: DecimalStringOptions = {}): z.ZodType<string, unknown> {
  const { precision, scale } = options;
  if (precision !== undefined && !(Number.isInteger(precision) && precision >= 1)) {
    throw new InvalidOptionError('precision', 'a positive integer', precision);
  }
  if (
    scale !== undefined &&
    !(Number.isInteger(scale) && scale >= 0 && (precision === undefined || scale <= precision))
  ) {
    throw new InvalidOptionError('scale', 'an integer between 0 and precision', scale);
  }
  return z.unknown().transform((value, ctx): string => {
    const text = typeof value === 'number' && Number.isSafeInteger(value) ? String(value) : value;
    const match = typeof text === 'string' && text.length <= 1000 ? DECIMAL.exec(text) : null;
    if (!match) {
      ctx.addIssue({ code: 'custom', message: 'Expected an exact decimal string like "19.99"', input: value });
      return z.NEVER;
    }
    const integer = (match[2] as string).replace(/^0+(?=\d)/, '');
    const fraction = match[3] ?? '';
    if (scale !== undefined && fraction.length > scale) {
      ctx.addIssue({ code: 'custom', message: `Decimal ${text} has more than ${scale} fraction digits`, input: value });
      return z.NEVER;
    }
    const digits = (integer === '0' ? 0 : integer.length) + (scale ?? fraction.length);
    if (precision !== undefined && digits > precision) {
      ctx.addIssue({ code: 'custom', message: `Decimal ${text} exceeds precision ${precision}`, input: value });
      return z.NEVER;
    }
    const sign = match[1] === '-' && /[1-9]/.test(integer + fraction) ? '-' : '';
    return fraction ? `${sign}${integer}.${fraction}` : `${sign}${integer}`;
  });
}

export interface BigintIdOptions {
  /** Smallest accepted id. @default 1n */
  min?: bigint;
}

const INT8_MAX = 9223372036854775807n;
const INTEGER = /^-?\d{1,19}$/;

/**
 * A `bigint` id from a decimal string, a safe integer or a bigint, within PostgreSQL `bigint` range. Refuses
 * unsafe numbers (precision already lost), decimals, blanks and exponents.
 */
export function bigintId(options: BigintIdOptions = {}): z.ZodType<bigint, unknown> {
  const min = options.min ?? 1n;
  if (typeof min !== 'bigint') throw new InvalidOptionError('min', 'a bigint', min);
  return z.unknown().transform((value, ctx): bigint => {
    let id: bigint | undefined;
    if (typeof value === 'bigint') id = value;
    else if (typeof value === 'number' && Number.isSafeInteger(value)) id = BigInt(value);
    else if (typeof value === 'string' && INTEGER.test(value)) id = BigInt(value);
    if (id === undefined || id < min || id > INT8_MAX) {
      ctx.addIssue({
        code: 'custom',
        message: `Expected an integer id between ${min} and ${INT8_MAX} (string, safe integer or bigint)`,
        input: value,
      });
      return z.NEVER;
    }
    return id;
  });
}

/**
 * One-dimensional PostgreSQL arrays in the binary wire format (`array_send`), written in one pass. node-postgres
 * sends a Buffer parameter in binary format, so the server reads each element by its length prefix instead of
 * parsing text: the cheapest way for a batch to reach PostgreSQL in a single statement.
 *
 * Layout: ndim (1), has-nulls flag, element type OID, then the dimension's length and lower bound (1); then per
 * element a byte length (-1 for NULL) and the element's bytes. Every integer is big-endian.
 */

const HEADER_BYTES = 20;
const TEXT_OID = 25;
const INT4_OID = 23;
const TIMESTAMPTZ_OID = 1184;
/** Milliseconds from the Unix epoch to PostgreSQL's (2000-01-01 UTC), where binary timestamps count from. */
const PG_EPOCH_MS = 946_684_800_000;
const TWO_32 = 4_294_967_296;

function writeHeader(buf: Buffer, oid: number, length: number, hasNull: boolean): void {
  buf.writeInt32BE(1, 0);
  buf.writeInt32BE(hasNull ? 1 : 0, 4);
  buf.writeInt32BE(oid, 8);
  buf.writeInt32BE(length, 12);
  buf.writeInt32BE(1, 16);
}

/**
 * A `text[]` (`null` elements are SQL NULL), each string written once with its length prefix filled in after. The
 * buffer starts at the size the strings take if they are ASCII and grows (by copying) only when one might not
 * fit: sizing every batch for the 3-bytes-per-unit worst case would allocate (and have V8 account as external
 * memory, which drives its garbage collections) about three times what is sent.
 */
export function binaryTextArray(values: readonly (string | null)[]): Buffer {
  let size = HEADER_BYTES;
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    size += value === null || value === undefined ? 4 : 4 + value.length;
  }
  let buf = Buffer.allocUnsafe(size);
  let offset = HEADER_BYTES;
  let hasNull = false;
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    const isNull = value === null || value === undefined;
    // Earlier multi-byte strings may have used this element's share of the buffer: check before every write.
    const worst = 4 + (isNull ? 0 : 3 * value.length);
    if (offset + worst > buf.length) {
      const grown = Buffer.allocUnsafe(Math.max(2 * buf.length, offset + worst));
      buf.copy(grown, 0, 0, offset);
      buf = grown;
    }
    if (isNull) {
      buf.writeInt32BE(-1, offset);
      offset += 4;
      hasNull = true;
      continue;
    }
    const written = buf.write(value, offset + 4);
    buf.writeInt32BE(written, offset);
    offset += 4 + written;
  }
  writeHeader(buf, TEXT_OID, values.length, hasNull);
  return buf.subarray(0, offset);
}

/** An `int4[]` of 32-bit integers. */
export function binaryInt4Array(values: readonly number[]): Buffer {
  const buf = Buffer.allocUnsafe(HEADER_BYTES + 8 * values.length);
  let offset = HEADER_BYTES;
  for (let i = 0; i < values.length; i++) {
    buf.writeInt32BE(4, offset);
    buf.writeInt32BE(values[i] as number, offset + 4);
    offset += 8;
  }
  writeHeader(buf, INT4_OID, values.length, false);
  return buf;
}

/** A `timestamptz[]` from epoch milliseconds: 64-bit microseconds since 2000-01-01 UTC, exact for any Date. */
export function binaryTimestamptzArray(epochMs: readonly number[]): Buffer {
  const buf = Buffer.allocUnsafe(HEADER_BYTES + 12 * epochMs.length);
  let offset = HEADER_BYTES;
  for (let i = 0; i < epochMs.length; i++) {
    // At most ~8.6e18 µs for the latest Date: beyond 2^53, but whole milliseconds times 1,000 split exactly.
    const ms = (epochMs[i] as number) - PG_EPOCH_MS;
    const high = Math.floor(ms / TWO_32);
    const lowMs = ms - high * TWO_32; // 0 ≤ lowMs < 2^32
    // µs = ms·1000 = high·2^32·1000 + lowMs·1000; carry the low word's overflow into the high word.
    const lowUs = lowMs * 1000;
    const carry = Math.floor(lowUs / TWO_32);
    buf.writeInt32BE(8, offset);
    buf.writeInt32BE(high * 1000 + carry, offset + 4);
    buf.writeUInt32BE(lowUs - carry * TWO_32, offset + 8);
    offset += 12;
  }
  writeHeader(buf, TIMESTAMPTZ_OID, epochMs.length, false);
  return buf;
}

const CHUNK_BYTES = 1 << 16;
/** Chunks are cut from slabs of this size: one allocation per ~15 chunks instead of one per chunk. */
const SLAB_BYTES = 1 << 20;
const TWO_32 = 4_294_967_296;
const MIN_SAFE = BigInt(Number.MIN_SAFE_INTEGER);
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/**
 * An append-only byte buffer handed out in chunks of about 64 KiB. Bytes before `start` were handed out and are
 * never written again; `ensure` may move the rest to a new slab, so keep positions relative to `start`.
 */
export class BinaryWriter {
  buf: Buffer = Buffer.allocUnsafe(SLAB_BYTES);
  /** The same bytes as `buf`: DataView stores skip Buffer's per-call range checks. */
  view: DataView = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
  start = 0;
  pos = 0;

  #replace(next: Buffer): void {
    this.buf = next;
    this.view = new DataView(next.buffer, next.byteOffset, next.byteLength);
  }

  ensure(bytes: number): void {
    if (this.pos + bytes <= this.buf.length) return;
    const pending = this.pos - this.start;
    const next = Buffer.allocUnsafe(Math.max(SLAB_BYTES, (pending + bytes) * 2));
    this.buf.copy(next, 0, this.start, this.pos);
    this.#replace(next);
    this.start = 0;
    this.pos = pending;
  }

  /** Returns the bytes written since the last chunk when there are enough to send. */
  take(force = false): Buffer | undefined {
    const size = this.pos - this.start;
    if (size === 0 || (!force && size < CHUNK_BYTES)) return undefined;
    const out = this.buf.subarray(this.start, this.pos);
    if (this.buf.length - this.pos < CHUNK_BYTES * 2) {
      this.#replace(Buffer.allocUnsafe(SLAB_BYTES));
      this.pos = 0;
    }
    this.start = this.pos;
    return out;
  }

  int16(value: number): void {
    this.ensure(2);
    this.view.setInt16(this.pos, value);
    this.pos += 2;
  }

  /** A length-prefixed UTF-8 string (with an optional one-byte prefix, jsonb's format version). */
  utf8(text: string, prefix = -1): void {
    const extra = prefix >= 0 ? 1 : 0;
    const n = text.length;
    this.ensure(4 + extra + n * 3);
    const start = this.pos + 4 + extra;
    let bytes = 0;
    if (n <= 32) {
      // Short ASCII text: a loop beats the native call; anything else goes through Buffer#write.
      const { buf } = this;
      let i = 0;
      for (; i < n; i++) {
        const c = text.charCodeAt(i);
        if (c > 127) break;
        buf[start + i] = c;
      }
      bytes = i === n ? n : buf.write(text, start, 'utf8');
    } else bytes = this.buf.write(text, start, 'utf8');
    this.view.setInt32(this.pos, bytes + extra);
    if (extra === 1) this.buf[this.pos + 4] = prefix;
    this.pos = start + bytes;
  }

  /** A length-prefixed 64-bit integer from a safe integer number. */
  int64Number(value: number): void {
    this.ensure(12);
    const high = Math.floor(value / TWO_32);
    this.view.setInt32(this.pos, 8);
    this.view.setInt32(this.pos + 4, high);
    this.view.setUint32(this.pos + 8, value - high * TWO_32);
    this.pos += 12;
  }

  int64Big(value: bigint): void {
    if (value >= MIN_SAFE && value <= MAX_SAFE) {
      this.int64Number(Number(value)); // cheaper than a 64-bit BigInt store
      return;
    }
    this.ensure(12);
    this.view.setInt32(this.pos, 8);
    this.view.setBigInt64(this.pos + 4, value);
    this.pos += 12;
  }
}

/** Thrown by a value encoder for a value PostgreSQL would refuse; caught per record, never escapes. */
export class Rejection extends Error {
  readonly column: string | undefined;
  constructor(message: string, column?: string) {
    super(message);
    this.column = column;
  }
}

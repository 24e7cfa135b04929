import type { PgNames } from './pg-schema.ts';
import { entryColumns } from './pg-schema.ts';

/**
 * Claims one entry with `FOR UPDATE SKIP LOCKED`, so concurrent workers never take the same one, and records
 * the transition in the same statement: an entry whose lease expired (its worker died) first, else the oldest
 * pending one — each an ordered scan of its partial state index. By id: that entry, if it may be redriven.
 * `$1` now, `$2` lease end, `$3` token, `$4` actor; filter from `$5`.
 */
export function claimStatement(n: PgNames, where: string, byId: boolean): string {
  const and = where ? ` AND ${where}` : '';
  const pick = (condition: string): string =>
    `SELECT id, state FROM ${n.table} WHERE ${condition}${and} ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED`;
  const expired = `state = 'replaying' AND lease_until < $1::timestamptz`;
  const candidates = byId
    ? `c AS (${pick(`(state IN ('pending', 'parked', 'discarded') OR (${expired}))`)})`
    : `r AS (${pick(expired)}),
  p AS (${pick(`state = 'pending' AND NOT EXISTS (SELECT FROM r)`)}),
  c AS (SELECT * FROM r UNION ALL SELECT * FROM p)`;
  return `WITH ${candidates}, u AS (
    UPDATE ${n.table} AS t SET state = 'replaying', lease_until = $2::timestamptz, lease_token = $3,
      updated_at = $1::timestamptz, prev_state = c.state
    FROM c WHERE t.id = c.id
    RETURNING t.*
  ), audit AS (
    INSERT INTO ${n.audit} (entry_id, at, from_state, to_state, actor, why)
    SELECT id, $1::timestamptz, prev_state, 'replaying', $4,
      CASE WHEN prev_state = 'replaying' THEN 'lease expired: reclaimed' ELSE 'redrive' END
    FROM u
  )
  SELECT ${entryColumns(n)} FROM u`;
}

/**
 * Records a redrive outcome only while `$2` (the token) still holds the lease: a worker whose lease was taken
 * over changes nothing. `$1` id, `$3` completion, `$4` max redrives, `$5` now, `$6` actor, `$7` why.
 */
export function completeStatement(n: PgNames): string {
  return `WITH u AS (
    UPDATE ${n.table} SET
      state = CASE $3::text WHEN 'resolve' THEN 'resolved' WHEN 'discard' THEN 'discarded'
        ELSE CASE WHEN redrive_count + 1 >= $4::int THEN 'parked' ELSE 'pending' END END,
      redrive_count = redrive_count + CASE WHEN $3::text = 'fail' THEN 1 ELSE 0 END,
      lease_until = NULL, lease_token = NULL, updated_at = $5::timestamptz, prev_state = state
    WHERE id = $1::bigint AND state = 'replaying' AND lease_token = $2
    RETURNING id, state
  ), audit AS (
    INSERT INTO ${n.audit} (entry_id, at, from_state, to_state, actor, why)
    SELECT id, $5::timestamptz, 'replaying', state, $6, $7 FROM u
  )
  SELECT state FROM u`;
}

/** Moves entry `$1` from one of `$2` states to `$3`, with an audit row. `$4` now, `$5` actor, `$6` why. */
export function transitionStatement(n: PgNames, resetRedrives: boolean): string {
  return `WITH u AS (
    UPDATE ${n.table} SET state = $3, updated_at = $4::timestamptz, prev_state = state, lease_until = NULL,
      lease_token = NULL${resetRedrives ? ', redrive_count = 0' : ''}
    WHERE id = $1::bigint AND state = ANY($2::text[])
    RETURNING id, prev_state
  ), audit AS (
    INSERT INTO ${n.audit} (entry_id, at, from_state, to_state, actor, why)
    SELECT id, $4::timestamptz, prev_state, $3, $5, $6 FROM u
  )
  SELECT id FROM u`;
}

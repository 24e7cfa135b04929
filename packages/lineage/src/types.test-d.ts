import { expectTypeOf } from 'vitest';
import type { DataQualityAssertionsFacet, Lineage, LineageRun, RunEvent, SchemaDatasetFacet } from './index.ts';
import { createLineage, customFacet, dataQualityAssertionsFacet, runEvent, schemaFacet, withLineage } from './index.ts';

const lineage = createLineage();

// withLineage keeps parameters, `this` and the (awaited) return type.
declare function load(this: { table: string }, day: string, limit?: number): Promise<{ rows: number }>;
const wrapped = withLineage(lineage, 'load', load);
expectTypeOf(wrapped).parameters.toEqualTypeOf<[day: string, limit?: number]>();
expectTypeOf(wrapped).thisParameter.toEqualTypeOf<{ table: string }>();
expectTypeOf(wrapped).returns.toEqualTypeOf<Promise<{ rows: number }>>();
const sync = withLineage(lineage, 'count', (a: string) => a.length);
expectTypeOf(sync).returns.toEqualTypeOf<Promise<number>>();
// Run options computed from the arguments see their types.
void withLineage(
  lineage,
  'x',
  (day: string) => day,
  (day) => ({ runFacets: {}, inputs: [{ namespace: 'n', name: day }] }),
);
const byDay = (day: string): string => day;
const numberOptions = (_n: number) => ({});
// @ts-expect-error the options function gets a string, not a number
void withLineage(lineage, 'x', byDay, numberOptions);

// track passes the run and returns the callback's result.
expectTypeOf(lineage.track('t', async (run) => run.runId)).toEqualTypeOf<Promise<string>>();
expectTypeOf(lineage.startRun('j')).toEqualTypeOf<LineageRun>();

// Facets are typed where they belong.
expectTypeOf(schemaFacet({ id: 'bigint' })).toEqualTypeOf<SchemaDatasetFacet>();
expectTypeOf(dataQualityAssertionsFacet([])).toEqualTypeOf<DataQualityAssertionsFacet>();
const event = runEvent({
  eventType: 'COMPLETE',
  job: { namespace: 'n', name: 'j' },
  outputs: [{ namespace: 'n', name: 'd', facets: { schema: schemaFacet({ id: 'int' }) } }],
});
expectTypeOf(event).toEqualTypeOf<RunEvent>();
// @ts-expect-error not an event type
void runEvent({ eventType: 'DONE', job: { namespace: 'n', name: 'j' } });
// Custom facets keep their fields and gain _producer/_schemaURL.
const cost = customFacet('https://example.com/Cost.json', { usd: 1 });
expectTypeOf(cost.usd).toEqualTypeOf<number>();
expectTypeOf(cost._schemaURL).toEqualTypeOf<string>();

// A Lineage fits the structural client shape that @pipewright/pipeline accepts (written out here: primitives
// never import each other).
interface LineageDatasetLike {
  namespace: string;
  name: string;
}
interface LineageRunLike {
  complete(update?: { outputs?: LineageDatasetLike[] }): unknown;
  fail(error: unknown): unknown;
  child?(jobName: string, options?: { inputs?: LineageDatasetLike[]; outputs?: LineageDatasetLike[] }): LineageRunLike;
}
interface LineageClientLike {
  startRun(
    jobName: string,
    options?: { runId?: string; inputs?: LineageDatasetLike[]; outputs?: LineageDatasetLike[] },
  ): LineageRunLike;
}
expectTypeOf<Lineage>().toMatchTypeOf<LineageClientLike>();

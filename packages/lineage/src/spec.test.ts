import { describe, expect, it } from 'vitest';
import { openLineageValidator } from '../../../test/helpers/openlineage.ts';

const v = openLineageValidator();

describe('the schema validator itself', () => {
  it('rejects what the spec forbids, so passing tests mean something', () => {
    expect(v.event({ eventTime: 'x', producer: 'nope', schemaURL: 'nope' })).not.toEqual([]);
    const facet = { _producer: 'https://p', _schemaURL: 'https://s' };
    expect(v.facet('ErrorMessageRunFacet', 'errorMessage', { ...facet, message: 'm' })).not.toEqual([]);
    expect(
      v.facet('ErrorMessageRunFacet', 'errorMessage', { ...facet, message: 'm', programmingLanguage: 'JS' }),
    ).toEqual([]);
    expect(v.facet('SchemaDatasetFacet', 'schema', { fields: [] })).not.toEqual([]);
    expect(v.facet('SchemaDatasetFacet', 'nope', facet)).not.toEqual([]);
  });
});

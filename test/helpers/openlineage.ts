// Validates OpenLineage events and facets against the official JSON Schemas kept beside the repository
// (<repo>/../shared/spec/openlineage, see its SOURCE.md): Ajv 2020-12 + ajv-formats, core schema first, no network.
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';

export const OPENLINEAGE_SPEC_DIR: string = resolve(import.meta.dirname, '../../../shared/spec/openlineage');

const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020;

export interface OpenLineageValidator {
  /** Validation errors of a whole event against OpenLineage.json (empty when valid). */
  event(event: unknown): string[];
  /** Validation errors of one facet against its own schema file, e.g. ('SchemaDatasetFacet', 'schema', facet). */
  facet(file: string, key: string, facet: unknown): string[];
  /** Facet schema file names available. */
  facetFiles: string[];
}

function readJson(path: string): Record<string, unknown> {
  return JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
}

export function openLineageValidator(): OpenLineageValidator {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  const core = readJson(join(OPENLINEAGE_SPEC_DIR, 'OpenLineage.json'));
  ajv.addSchema(core);
  const facetDir = join(OPENLINEAGE_SPEC_DIR, 'facets');
  const facetFiles = readdirSync(facetDir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.slice(0, -5));
  const facetIds = new Map<string, string>();
  for (const name of facetFiles) {
    const schema = readJson(join(facetDir, `${name}.json`));
    ajv.addSchema(schema);
    facetIds.set(name, schema.$id as string);
  }
  const validateEvent = ajv.getSchema(core.$id as string);
  if (!validateEvent) throw new Error('OpenLineage.json did not compile');
  const describe = (errors: typeof validateEvent.errors): string[] =>
    (errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''} ${JSON.stringify(e.params)}`);
  return {
    facetFiles,
    event(event) {
      return validateEvent(JSON.parse(JSON.stringify(event))) ? [] : describe(validateEvent.errors);
    },
    facet(file, key, facet) {
      const id = facetIds.get(file);
      if (!id) throw new Error(`no facet schema ${file}`);
      const validate = ajv.getSchema(id);
      if (!validate) throw new Error(`facet schema ${file} did not compile`);
      // Each facet file describes an object holding the facet under its key; an absent key would pass vacuously.
      const wrapped = { [key]: JSON.parse(JSON.stringify(facet)) };
      const schemaKeys = Object.keys((validate.schema as { properties?: object }).properties ?? {});
      if (!schemaKeys.includes(key)) return [`${file} has no facet key ${key} (has ${schemaKeys.join(', ')})`];
      return validate(wrapped) ? [] : describe(validate.errors);
    },
  };
}

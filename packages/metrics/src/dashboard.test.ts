import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { INSTRUMENT_LIST } from './catalogue.ts';

/** Grafana's reference to the dashboard's datasource variable. */
const DATASOURCE_UID = ['$', '{datasource}'].join('');
const path = join(import.meta.dirname, '..', '..', '..', 'docs', 'grafana-dashboard.json');

interface Panel {
  id: number;
  type: string;
  title: string;
  gridPos: { h: number; w: number; x: number; y: number };
  datasource?: { type: string; uid: string };
  targets?: { refId: string; expr: string; datasource?: { uid: string } }[];
}

describe('docs/grafana-dashboard.json', () => {
  const dashboard = JSON.parse(readFileSync(path, 'utf8')) as {
    uid: string;
    title: string;
    schemaVersion: number;
    panels: Panel[];
    templating: { list: { name: string; type: string }[] };
  };
  const panels = dashboard.panels;
  const exprs = panels.flatMap((panel) => panel.targets?.map((target) => target.expr) ?? []);

  it('is a self-contained dashboard: uid, a Prometheus datasource variable, unique panel ids, grid positions', () => {
    expect(dashboard.uid).toBe('pipewright-pipelines');
    expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(36);
    expect(dashboard.templating.list.map((v) => [v.name, v.type])).toEqual([
      ['datasource', 'datasource'],
      ['pipeline', 'query'],
    ]);
    expect(new Set(panels.map((panel) => panel.id)).size).toBe(panels.length);
    for (const panel of panels) {
      expect(panel.gridPos.x + panel.gridPos.w, panel.title).toBeLessThanOrEqual(24);
      if (panel.type === 'row') continue;
      expect(panel.datasource?.uid, panel.title).toBe(DATASOURCE_UID);
      expect(panel.targets?.length, panel.title).toBeGreaterThan(0);
      for (const target of panel.targets ?? []) {
        expect(target.datasource?.uid).toBe(DATASOURCE_UID);
        expect(target.expr).toContain('pipeline=~"$pipeline"');
      }
    }
  });

  it('queries only metrics this package exports, and shows every one of them', () => {
    const known = new Set(INSTRUMENT_LIST.map((definition) => definition.name));
    const used = new Set<string>();
    for (const expr of exprs) {
      for (const [name] of expr.matchAll(/pipewright_[a-z_]+/g)) {
        const base = name.replace(/_(bucket|sum|count)$/, '');
        expect(known.has(name) || known.has(base), `${name} in ${expr}`).toBe(true);
        used.add(known.has(name) ? name : base);
      }
    }
    expect([...known].filter((name) => !used.has(name))).toEqual([]);
  });

  it('uses balanced PromQL brackets and quotes in every query', () => {
    for (const expr of exprs) {
      for (const [open, close] of [
        ['(', ')'],
        ['{', '}'],
        ['[', ']'],
      ] as const) {
        expect(expr.split(open).length, expr).toBe(expr.split(close).length);
      }
      expect((expr.match(/"/g) ?? []).length % 2, expr).toBe(0);
    }
  });
});

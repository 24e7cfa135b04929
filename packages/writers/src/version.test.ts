import { expect, it } from 'vitest';
import { VERSION } from './version.ts';

it('has a version', () => {
  expect(VERSION).toMatch(/^\d+\.\d+\.\d+/);
});

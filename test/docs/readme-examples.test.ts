/** The README's example emails are the code's own samples: a change to a message shows up as README drift. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SAMPLES } from '../../functions/domain/alerts/registry.ts';
import { README_PATH, renderExamples, withExamples } from '../../scripts/readme-examples.ts';

describe('README examples', () => {
  it('match the samples (run `npm run docs:examples` after changing a message)', () => {
    const readme = readFileSync(README_PATH, 'utf8');
    expect(withExamples(readme)).toBe(readme);
  });

  it('show every sample', () => {
    const block = renderExamples();
    for (const sample of SAMPLES) expect(block).toContain(`(<code>${sample.name}</code>)`);
  });
});

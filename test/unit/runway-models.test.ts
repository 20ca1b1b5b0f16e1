/**
 * The published model list against the installed SDK's types, so it cannot drift; the typo suggestion; and
 * which budgets are reported.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  checkModelWarning,
  closestName,
  editDistance,
  RUNWAY_KNOWN_MODELS,
  RUNWAY_MODELS_SDK_VERSION,
  synthModelWarning,
  unknownBudgetModels,
} from '../../functions/runway-models.ts';

const sdkDir = fileURLToPath(new URL('../../node_modules/@runwayml/sdk/', import.meta.url));

/** The string literals of the usage results' `model:` union in the SDK's .d.ts text. */
async function sdkModelUnion(): Promise<string[]> {
  const text = await readFile(join(sdkDir, 'resources/organization/organization.d.ts'), 'utf8');
  const union = /\bmodel: ((?:'[^']+'(?: \| )?)+);/.exec(text)?.[1];
  if (!union) throw new Error('The SDK no longer declares the usage model union where expected');
  return [...union.matchAll(/'([^']+)'/g)].map((m) => m[1] ?? '');
}

describe('RUNWAY_KNOWN_MODELS', () => {
  it("is the installed SDK's usage model union, in the same order", async () => {
    // If this fails after an SDK upgrade, copy the union into functions/runway-models.ts.
    expect(RUNWAY_KNOWN_MODELS).toEqual(await sdkModelUnion());
  });

  it('names the installed SDK version', async () => {
    const pkg = JSON.parse(await readFile(join(sdkDir, 'package.json'), 'utf8')) as { version: string };
    expect(RUNWAY_MODELS_SDK_VERSION).toBe(pkg.version);
  });
});

describe('closestName', () => {
  it.each([
    ['veo3.2', 'veo3.1'],
    ['VEO3.1', 'veo3.1'],
    ['gen45', 'gen4.5'],
    ['gen4_imgae', 'gen4_image'],
    ['eleven_multilingual_v3', 'eleven_multilingual_v2'],
    ['midjourney', undefined],
  ])('%s → %s', (name, expected) => {
    expect(closestName(name, RUNWAY_KNOWN_MODELS)).toBe(expected);
  });

  it('counts edits', () => {
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('', 'abc')).toBe(3);
    expect(editDistance('veo3', 'veo3')).toBe(0);
  });
});

describe('unknownBudgetModels', () => {
  const organizations = [
    { id: 'a', budgets: [{ id: 'all' }, { id: 'veo', model: 'veo3.1' }] },
    { id: 'b', budgets: [{ id: 'total' }, { id: 'veo', model: 'veo3.2' }, { id: 'new', model: 'zeta9' }] },
  ];

  it('reports each budget whose model is not known, by JSON path, with the closest name', () => {
    const found = unknownBudgetModels(organizations, () => RUNWAY_KNOWN_MODELS);
    expect(found).toEqual([
      {
        path: '$.organizations[1].budgets[1].model',
        orgId: 'b',
        budgetId: 'veo',
        model: 'veo3.2',
        suggestion: 'veo3.1',
      },
      {
        path: '$.organizations[1].budgets[2].model',
        orgId: 'b',
        budgetId: 'new',
        model: 'zeta9',
        suggestion: undefined,
      },
    ]);
    const [typo, added] = found;
    if (!typo || !added) throw new Error('expected two');
    expect(synthModelWarning(typo)).toBe(
      `$.organizations[1].budgets[1].model: budget "veo" names the model "veo3.2", which is not in Runway's published model list (@runwayml/sdk ${RUNWAY_MODELS_SDK_VERSION}); did you mean "veo3.1"? A budget counts only spend on exactly that name, so with a typo it never fires. If it is a model Runway added later, ignore this warning.`,
    );
    expect(synthModelWarning(added)).toContain('published model list (@runwayml/sdk');
    expect(synthModelWarning(added)).not.toContain('did you mean');
  });

  it('checks each organization against its own names and keeps config indexes', () => {
    const seen: Record<string, string[]> = { a: ['gen4.5'], b: ['veo3.1'] };
    const found = unknownBudgetModels(organizations.slice(1), (org) => seen[org.id] ?? [], {
      orgIndex: () => 1,
    });
    expect(found.map((u) => [u.path, u.model, u.suggestion])).toEqual([
      ['$.organizations[1].budgets[1].model', 'veo3.2', 'veo3.1'],
      ['$.organizations[1].budgets[2].model', 'zeta9', undefined],
    ]);
    expect(checkModelWarning(found[0] as (typeof found)[0])).toBe(
      `$.organizations[1].budgets[1].model: budget "veo" of b names the model "veo3.2", which is neither in the organization's tier nor in its stored usage, so the budget counts nothing yet; did you mean "veo3.1"? It is not in Runway's published model list either: check the spelling, unless it is a model Runway added later.`,
    );
  });
});

/**
 * The README's History section tells analysts how to query the table without the CLI: AWS CLI, PartiQL, jq and
 * Athena recipes, and a key-schema table. This reads those recipes, extracts every attribute name (and, where the
 * recipe says it, the DynamoDB type: `date.S`, `credits.M`, `creditBalance:struct<N:string>`), and checks them
 * against the items `DynamoStore` really writes to dynalite, read back raw (DynamoDB JSON, the export's format).
 * A renamed attribute, or a recipe typo, fails here instead of in an analyst's query.
 */
import { readFileSync } from 'node:fs';
import { type AttributeValue, DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoStore } from '../../functions/adapters/dynamo-store.ts';
import type { Message } from '../../functions/domain/types.ts';
import { localClientConfig, startTestDynamo, type TestDynamo } from '../helpers/dynamo.ts';

const ORG = 'studio';
const README = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

/** The History section: from its heading to the next second-level heading. */
function historySection(): string {
  const start = README.indexOf('\n## History');
  const end = README.indexOf('\n## ', start + 1);
  expect(start).toBeGreaterThan(0);
  return README.slice(start, end < 0 ? undefined : end);
}

/** Fenced code blocks of a Markdown text, with their language. */
function codeBlocks(markdown: string): { lang: string; code: string }[] {
  return [...markdown.matchAll(/^```(\w*)\n([\s\S]*?)^```$/gm)].map((m) => ({
    lang: m[1] ?? '',
    code: m[2] ?? '',
  }));
}

/** One shell command per entry: continuation lines (`\` at the end) joined. */
function commands(code: string): string[] {
  return code.replace(/\\\n\s*/g, ' ').split('\n');
}

type DynamoType = 'S' | 'N' | 'M' | 'L' | 'BOOL' | 'NULL';

interface Reference {
  readonly name: string;
  /** The type the recipe reads it as, when it says. */
  readonly type?: DynamoType;
  readonly where: string;
}

/** Every attribute a recipe of the section names. */
function references(section: string): Reference[] {
  const refs: Reference[] = [];
  for (const { lang, code } of codeBlocks(section)) {
    // `name.S` (AWS CLI --query, jq, Athena) and `name:struct<S:…>` (Athena DDL). Members of a list
    // element's map (`….M.model.S`, `M:struct<model:struct<S…`) are not top-level attributes, and one-letter
    // names are a query's own aliases (`c -> c.M…`): every stored attribute name is longer.
    for (const m of code.matchAll(
      /(?<!\bM\.|\bM:struct<|,)\b([A-Za-z_]\w+)(?:\.|:struct<)(S|N|M|L|BOOL|NULL)\b/g,
    )) {
      refs.push({ name: m[1] ?? '', type: m[2] as DynamoType, where: `${lang}: ${m[0]}` });
    }
    if (lang !== 'bash') continue;
    for (const command of commands(code)) {
      // PartiQL: SELECT a, "b" FROM …
      for (const m of command.matchAll(/--statement "SELECT (.+?) FROM /g)) {
        for (const column of (m[1] ?? '').split(',')) {
          refs.push({ name: column.trim().replace(/^\\?"|\\?"$/g, ''), where: `PartiQL: ${column.trim()}` });
        }
      }
      // --projection-expression "a, #b" with --expression-attribute-names '{"#b":"name"}'.
      const projection = /--projection-expression "([^"]+)"/.exec(command)?.[1];
      if (projection) {
        const names: Record<string, string> = JSON.parse(
          /--expression-attribute-names '([^']+)'/.exec(command)?.[1] ?? '{}',
        );
        for (const part of projection.split(',')) {
          const name = part.trim();
          refs.push({ name: names[name] ?? name, where: `projection: ${name}` });
        }
      }
    }
  }
  return refs;
}

/** The key-schema table: for each `sk` prefix, the top-level attributes it lists (parentheses skipped). */
function schemaTable(section: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const line of section.split('\n')) {
    const cells = line.split('|').map((c) => c.trim());
    const sk = /^`(SNAPSHOT|USAGE|ALERT|STATUS)\b/.exec(cells[2] ?? '')?.[1];
    if (!sk || cells.length < 5) continue;
    let attributes = cells[3] ?? '';
    // Drop nested parentheses (map contents, values, notes), innermost first.
    while (/\([^()]*\)/.test(attributes)) attributes = attributes.replace(/\([^()]*\)/g, '');
    out.set(
      sk,
      [...attributes.matchAll(/`([A-Za-z_]\w*)`/g)].map((m) => m[1] ?? ''),
    );
  }
  return out;
}

let dynamo: TestDynamo;
let raw: DynamoDBClient;
/** Items of every kind as the store wrote them, in DynamoDB JSON. */
const items = new Map<string, Record<string, AttributeValue>>();

beforeAll(async () => {
  dynamo = await startTestDynamo();
  raw = new DynamoDBClient(localClientConfig(dynamo.endpoint));
  const tableName = await dynamo.newTable();
  const store = new DynamoStore({ client: dynamo.client, tableName });
  const date = '2026-11-12';
  await store.saveCycle({
    orgId: ORG,
    usage: [{ date, credits: { 'veo3.1': 2400, 'gen4.5': -50 }, totalCredits: 2350 }],
    snapshot: {
      orgId: ORG,
      date,
      fetchedAt: `${date}T10:00:00.000Z`,
      creditBalance: 41_000,
      maxMonthlyCreditSpend: 200_000,
      models: { 'veo3.1': { maxConcurrentGenerations: 5, maxDailyGenerations: 1000, dailyGenerations: 12 } },
      monthToDateCredits: 30_000,
      rolling30dCredits: 90_000,
      forecastMonthCredits: 80_000,
      purchasedCredits: 10_000,
    },
    status: {
      orgId: ORG,
      state: 'ok',
      reasons: [],
      updatedAt: `${date}T10:00:00.000Z`,
      lastSuccessAt: `${date}T10:00:00.000Z`,
      backfilledAt: `${date}T10:00:00.000Z`,
      historyStart: '2026-08-15',
      watchStart: '2026-08-15',
    },
  });
  const alertKey = `budget#monthly-total#2026-11#80`;
  const message: Message = {
    subject: 'Studio production: 80% of the monthly budget',
    text: 'text',
    json: {},
    attributes: { kind: 'budget', severity: 'warning', org: ORG, rule: 'monthly-total' },
  };
  const now = new Date(`${date}T10:00:00.000Z`);
  await store.claimAlert({
    orgId: ORG,
    key: alertKey,
    message,
    now,
    leaseMs: 60_000,
    expiresAt: new Date('2027-11-12T00:00:00.000Z'),
  });
  await store.markAlertSent({ orgId: ORG, key: alertKey, messageId: 'm-1', sentAt: now });
  for (const sk of [`SNAPSHOT#${date}`, `USAGE#${date}`, 'STATUS', `ALERT#${alertKey}`]) {
    const result = await raw.send(
      new GetItemCommand({ TableName: tableName, Key: { pk: { S: `ORG#${ORG}` }, sk: { S: sk } } }),
    );
    expect(result.Item, sk).toBeDefined();
    items.set(sk.split('#')[0] ?? sk, result.Item ?? {});
  }
});

afterAll(async () => {
  raw?.destroy();
  await dynamo?.close();
});

/**
 * Attributes written only in some states, so the fixture's items (a settled run, a sent alert) lack them: a
 * pending alert's message and rejections, models left out of an oversized snapshot or usage day, a status's
 * episode, tier bookkeeping and state parameter.
 */
const SOMETIMES = new Map<string, ReadonlySet<string>>([
  ['SNAPSHOT', new Set(['modelsOmitted'])],
  ['USAGE', new Set(['modelsOmitted'])],
  ['ALERT', new Set(['message', 'rejections', 'lastError', 'leaseUntil', 'coveredBy', 'delivered'])],
  [
    'STATUS',
    new Set(['balanceEpisode', 'announcedTier', 'tierChangePending', 'stopBudget', 'stateParameter']),
  ],
]);

describe("the README's history recipes", () => {
  it('name only attributes the store writes, with the type the store writes them as', () => {
    const refs = references(historySection());
    // The section has the recipes this test is about: CLI, PartiQL, jq and Athena.
    const where = refs.map((r) => r.where).join('\n');
    for (const expected of ['PartiQL: ', 'projection: ', 'sql: ', 'bash: '])
      expect(where).toContain(expected);
    expect(refs.filter((r) => r.where.startsWith('sql: ') && r.type).length).toBeGreaterThanOrEqual(10);

    const problems = refs.flatMap((ref) => {
      const found = [...items.values()].filter((item) => Object.hasOwn(item, ref.name));
      if (found.length === 0) return [`${ref.where}: no stored item has an attribute "${ref.name}"`];
      if (
        ref.type &&
        !found.some((item) => item[ref.name]?.[ref.type as keyof AttributeValue] !== undefined)
      ) {
        const types = found.map((item) => Object.keys(item[ref.name] ?? {})[0]).join('/');
        return [`${ref.where}: "${ref.name}" is stored as ${types}, not ${ref.type}`];
      }
      return [];
    });
    expect(problems).toStrictEqual([]);
  });

  it('list in the key-schema table what each item kind stores, and every attribute of snapshots and usage', () => {
    const table = schemaTable(historySection());
    expect([...table.keys()].sort()).toStrictEqual(['ALERT', 'SNAPSHOT', 'STATUS', 'USAGE']);
    const problems: string[] = [];
    for (const [kind, attributes] of table) {
      const item = items.get(kind) ?? {};
      for (const name of attributes) {
        if (!Object.hasOwn(item, name) && !SOMETIMES.get(kind)?.has(name))
          problems.push(`${kind}: the table lists "${name}", the item has none`);
      }
    }
    // Snapshots and usage are what analysts read: every attribute they carry is documented (the keys and
    // `type` are described above the table).
    for (const kind of ['SNAPSHOT', 'USAGE']) {
      const documented = new Set([...(table.get(kind) ?? []), 'pk', 'sk', 'type']);
      for (const name of Object.keys(items.get(kind) ?? {})) {
        if (!documented.has(name))
          problems.push(`${kind}: the item has "${name}", the table does not list it`);
      }
    }
    expect(problems).toStrictEqual([]);
  });
});

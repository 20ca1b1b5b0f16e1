/**
 * The monthly AWS cost of one stack: the model behind the README's cost table, printed with its targets by
 * `npm run bench` (and by `npx tsx test/bench/cost.ts`). us-east-1 list prices, no free tier: the free
 * allowances are per account and usually taken by other workloads. A month is 730 hours.
 */
import { pathToFileURL } from 'node:url';

/** us-east-1 list prices in dollars (November 2026). */
export const PRICES = {
  /** Lambda, arm64, per GB-second and per request. */
  lambdaGbSecond: 0.0000133334,
  lambdaRequest: 0.2 / 1e6,
  /** DynamoDB on demand, per write and read request unit. */
  dynamoWriteUnit: 0.625 / 1e6,
  dynamoReadUnit: 0.125 / 1e6,
  /** SNS: publishes per request, email deliveries per message. */
  snsPublish: 0.5 / 1e6,
  snsEmail: 2 / 100_000,
  /** EventBridge Scheduler, per invocation. */
  schedulerInvocation: 1 / 1e6,
  /** CloudWatch: a standard-resolution alarm, a custom metric, a dashboard (each per month). */
  alarm: 0.1,
  customMetric: 0.3,
  dashboard: 3,
  /** CloudWatch Logs (standard class): ingestion per GB, storage per GB-month. */
  logsIngestedGb: 0.5,
  logsStoredGbMonth: 0.03,
  /** KMS: a customer-managed key per month, requests. */
  kmsKey: 1,
  kmsRequest: 0.03 / 10_000,
  /** Secrets Manager: a secret per month, API calls. */
  secret: 0.4,
  secretsApiCall: 0.05 / 10_000,
} as const;

/** What one run costs in work; measured with the bench's servers and the demo organization. */
export const USAGE = {
  /** Lambda memory (GB). */
  memoryGb: 0.5,
  /** Seconds per run: a fixed part plus one round of Runway calls per group of 8 organizations in parallel. */
  runBaseSeconds: 0.1,
  runSecondsPerRound: 0.2,
  concurrency: 8,
  /** DynamoDB per organization per run: one BatchWriteItem (snapshot and status), the state reads. */
  writeUnitsPerOrg: 3,
  readUnitsPerOrg: 15,
  /** Log bytes: Lambda's START/END/REPORT lines per run; the guard's lines per organization per run. */
  logBytesPerRun: 400,
  logBytesPerOrg: 1_000,
  /** With per-organization metrics: their EMF lines too (4 figures and about 5 quota models). */
  logBytesPerOrgWithMetrics: 2_500,
  /** Logs are kept 90 days: about 3 months of them are stored at any time. */
  logMonthsStored: 3,
  /** Alerts published per organization per month (a daily digest and about 10 alerts). */
  publishesPerOrg: 40,
  /** Email subscribers who receive each alert (the kinds they filter on aside). */
  subscribers: 5,
  /** Alarms: errors, throttles, heartbeat. */
  alarms: 3,
  /** Fleet metrics: CycleSucceeded, CycleFailed, NotificationsSent (by stack). */
  fleetMetrics: 3,
  /** Per-organization metrics: CreditBalance, MonthToDateCredits, Rolling30dCredits, ForecastMonthCredits. */
  orgMetrics: 4,
  /** DailyQuotaUsedPercent per model with a daily limit. */
  quotaModels: 5,
  /** Each organization's key is cached 5 minutes per Lambda container: at most one read per 5 minutes. */
  secretCacheMinutes: 5,
} as const;

export const RUNS_PER_MONTH = { 'rate(5 minutes)': 8_760, 'rate(1 hour)': 730 } as const;
export type Schedule = keyof typeof RUNS_PER_MONTH;

export interface CostParameters {
  readonly organizations: number;
  readonly schedule: Schedule;
  /** `deployment.perOrganizationMetrics` (default false). */
  readonly perOrganizationMetrics?: boolean;
  /** `deployment.dashboard` (default false). */
  readonly dashboard?: boolean;
}

export interface CostItem {
  readonly item: string;
  readonly arithmetic: string;
  readonly usd: number;
}

const HOURS_PER_MONTH = 730;
const GB = 1024 ** 3;

const n = (value: number, digits = 0) =>
  value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const plural = (count: number, noun: string) => `${n(count)} ${noun}${count === 1 ? '' : 's'}`;
const usd = (value: number) => `$${value < 0.1 && value > 0 ? value.toFixed(3) : value.toFixed(2)}`;

/** The monthly bill, item by item, with the arithmetic behind each figure. */
export function monthlyCost(params: CostParameters): CostItem[] {
  const orgs = params.organizations;
  const runs = RUNS_PER_MONTH[params.schedule];
  const perOrg = params.perOrganizationMetrics ?? false;
  const u = USAGE;

  const seconds = u.runBaseSeconds + u.runSecondsPerRound * Math.ceil(orgs / u.concurrency);
  const gbSeconds = runs * seconds * u.memoryGb;
  const writeUnits = runs * orgs * u.writeUnitsPerOrg;
  const readUnits = runs * orgs * u.readUnitsPerOrg;
  const publishes = orgs * u.publishesPerOrg;
  const emails = publishes * u.subscribers;
  const logGb =
    (runs * (u.logBytesPerRun + orgs * (perOrg ? u.logBytesPerOrgWithMetrics : u.logBytesPerOrg))) / GB;
  const metrics = u.fleetMetrics + (perOrg ? orgs * (u.orgMetrics + u.quotaModels) : 0);
  const secretReads = orgs * Math.min(runs, (HOURS_PER_MONTH * 60) / u.secretCacheMinutes);

  const items: CostItem[] = [
    {
      item: 'Lambda (arm64, 512 MB)',
      arithmetic:
        `${n(runs)} runs × ${n(seconds, 1)} s × 0.5 GB = ${n(gbSeconds)} GB-s × $0.0000133 ` +
        `+ ${n(runs)} requests × $0.20/M`,
      usd: gbSeconds * PRICES.lambdaGbSecond + runs * PRICES.lambdaRequest,
    },
    {
      item: 'DynamoDB on demand',
      arithmetic: `${n(runs)} runs × ${plural(orgs, 'org')} × (${u.writeUnitsPerOrg} WRU × $0.625/M + ${u.readUnitsPerOrg} RRU × $0.125/M)`,
      usd: writeUnits * PRICES.dynamoWriteUnit + readUnits * PRICES.dynamoReadUnit,
    },
    {
      item: 'Secrets Manager',
      arithmetic: `${plural(orgs, 'secret')} × $0.40 + ${n(secretReads)} reads (one per run, the key cached ${u.secretCacheMinutes} min) × $0.05/10k`,
      usd: orgs * PRICES.secret + secretReads * PRICES.secretsApiCall,
    },
    {
      item: 'KMS key (both topics)',
      arithmetic: `$1 + ${n(publishes)} publishes × ≤ 1 request × $0.03/10k`,
      usd: PRICES.kmsKey + publishes * PRICES.kmsRequest,
    },
    {
      item: 'SNS',
      arithmetic: `${n(publishes)} publishes × $0.50/M + ${n(emails)} emails (${u.subscribers} subscribers) × $2/100k`,
      usd: publishes * PRICES.snsPublish + emails * PRICES.snsEmail,
    },
    {
      item: 'EventBridge Scheduler',
      arithmetic: `${n(runs)} invocations × $1/M`,
      usd: runs * PRICES.schedulerInvocation,
    },
    {
      item: 'CloudWatch alarms',
      arithmetic: `${u.alarms} × $0.10`,
      usd: u.alarms * PRICES.alarm,
    },
    {
      item: 'CloudWatch custom metrics',
      arithmetic: perOrg
        ? `(${u.fleetMetrics} by stack + ${plural(orgs, 'org')} × (${u.orgMetrics} + ~${u.quotaModels} models)) = ${n(metrics)} × $0.30`
        : `${u.fleetMetrics} by stack (cycles succeeded, failed, notifications sent) × $0.30`,
      usd: metrics * PRICES.customMetric,
    },
    {
      item: 'CloudWatch Logs (90 days)',
      arithmetic:
        `${n(runs)} runs × (${n(u.logBytesPerRun)} B + ${orgs} × ${n(perOrg ? u.logBytesPerOrgWithMetrics : u.logBytesPerOrg)} B) ` +
        `= ${n(logGb, 3)} GB × ($0.50 + ${u.logMonthsStored} × $0.03)`,
      usd: logGb * (PRICES.logsIngestedGb + u.logMonthsStored * PRICES.logsStoredGbMonth),
    },
  ];
  if (params.dashboard) {
    items.push({
      item: 'CloudWatch dashboard',
      arithmetic: '1 × $3 (free if one of your first 3)',
      usd: PRICES.dashboard,
    });
  }
  return items;
}

export function total(items: readonly CostItem[]): number {
  return items.reduce((sum, item) => sum + item.usd, 0);
}

/** Dollars a month for each organization beyond the first, between 1 and `organizations`. */
export function perExtraOrganization(params: CostParameters): number {
  if (params.organizations <= 1) return 0;
  const first = total(monthlyCost({ ...params, organizations: 1 }));
  return (total(monthlyCost(params)) - first) / (params.organizations - 1);
}

/** The targets `npm run bench` checks: at 5-minute runs, ≤ $3 for one organization, ≤ $0.60 per further one. */
export const COST_TARGETS = { firstOrganization: 3, perExtraOrganization: 0.6 } as const;

export interface CostTargetRow {
  readonly figure: string;
  readonly measured: string;
  readonly target: string;
  readonly pass: boolean;
}

export function costTargetRows(): CostTargetRow[] {
  const one = total(monthlyCost({ organizations: 1, schedule: 'rate(5 minutes)' }));
  return [
    {
      figure: 'Monthly cost, 1 organization, rate(5 minutes)',
      measured: usd(one),
      target: `≤ $${COST_TARGETS.firstOrganization.toFixed(2)}`,
      pass: one <= COST_TARGETS.firstOrganization,
    },
    ...[10, 100].map((organizations) => {
      const extra = perExtraOrganization({ organizations, schedule: 'rate(5 minutes)' });
      return {
        figure: `Monthly cost per further organization, ${organizations} organizations, rate(5 minutes)`,
        measured: usd(extra),
        target: `≤ $${COST_TARGETS.perExtraOrganization.toFixed(2)}`,
        pass: extra <= COST_TARGETS.perExtraOrganization,
      };
    }),
  ];
}

/** The README's cost tables, as Markdown: one per schedule, 1, 10 and 100 organizations. */
export function costTables(): string {
  const counts = [1, 10, 100];
  const sections = (Object.keys(RUNS_PER_MONTH) as Schedule[]).map((schedule) => {
    const columns = counts.map((organizations) => monthlyCost({ organizations, schedule }));
    const rows = (columns[0] ?? []).map((first, i) => {
      const cells = columns.map((items) => usd(items[i]?.usd ?? 0));
      return `| ${first.item} | ${columns[2]?.[i]?.arithmetic ?? ''} | ${cells.join(' | ')} |`;
    });
    const totals = columns.map((items) => `**${usd(total(items))}**`);
    return [
      `**${schedule}** (${n(RUNS_PER_MONTH[schedule])} runs a month); the arithmetic is shown for 100 organizations`,
      '',
      '| item | arithmetic (100 organizations) | 1 org | 10 orgs | 100 orgs |',
      '|---|---|---:|---:|---:|',
      ...rows,
      `| **total** | | ${totals.join(' | ')} |`,
      '',
    ].join('\n');
  });
  const extras = [
    `Each organization beyond the first: ${usd(perExtraOrganization({ organizations: 100, schedule: 'rate(5 minutes)' }))} ` +
      `a month at rate(5 minutes), ${usd(perExtraOrganization({ organizations: 100, schedule: 'rate(1 hour)' }))} at rate(1 hour).`,
    `Opt-ins at 100 organizations, rate(5 minutes): per-organization metrics ` +
      `${usd(total(monthlyCost({ organizations: 100, schedule: 'rate(5 minutes)', perOrganizationMetrics: true })) - total(monthlyCost({ organizations: 100, schedule: 'rate(5 minutes)' })))}, ` +
      `the dashboard ${usd(PRICES.dashboard)}.`,
  ];
  return [...sections, ...extras].join('\n');
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.stdout.write(`${costTables()}\n`);
}

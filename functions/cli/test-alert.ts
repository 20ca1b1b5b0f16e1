/**
 * `budget-guard test-alert`: publishes clearly marked test notifications, one of each subscribed kind's shape,
 * so people can confirm delivery and subscription filters before a real alert.
 *
 * 1. Load the config; pick the organization (`--org`, else the first) the messages name.
 * 2. Choose the kinds: `--kind`, else every kind listed in `subscriptions`, else every kind. For each kind,
 *    one sample at each severity a subscription filters on (its usual shape when nobody filters).
 * 3. Render each sample with `test: true` ("[TEST]" subject prefix, a test banner, `"test": true` in the JSON
 *    body) and the real `kind`/`severity`/`org`/`rule` attributes, so filter policies route it like a real one.
 * 4. Publish through SNS when TOPIC_ARN is set (and the chat card to each matching chat channel's topic when
 *    CHAT_TOPIC_ARNS is set), otherwise to the local outbox, which records the chat card too. The alert ledger is never
 *    touched: a test cannot suppress or fake a real alert.
 * 5. Print what was sent. Exit 0, or 1 when any publish failed (the others are still sent).
 */
import type { Config, Severity } from '../config.ts';
import {
  ALERT_KINDS,
  type AlertKind,
  SAMPLE_NOW,
  type NamedSample as Sample,
  samplesOf,
} from '../domain/alerts/registry.ts';
import type { Io } from './check.ts';
import { loadConfig, openNotifier, selectOrganizations, UsageError } from './wiring.ts';

export interface TestAlertOptions {
  readonly configPath?: string | undefined;
  /** One kind only; default: the subscribed kinds. */
  readonly kind?: string | undefined;
  readonly orgId?: string | undefined;
  /** The clock the messages are stamped with; default: the samples' own instant, so their dates agree. */
  readonly now?: Date | undefined;
}

/** The samples to send: per kind, one per severity some subscription asks for (its usual shape otherwise). */
export function chooseSamples(config: Config, kind?: AlertKind): { samples: Sample[]; notes: string[] } {
  // Email subscriptions and chat channels alike; a chat channel without `kinds` takes every kind.
  const receivers = [
    ...config.subscriptions.map((s) => ({ name: s.email, kinds: s.kinds, severities: s.severities })),
    ...config.chat.map((c) => ({
      name: c.slack ? `Slack channel ${c.slack.channelId}` : `Teams channel ${c.teams?.channelId}`,
      kinds: c.kinds ?? [...ALERT_KINDS],
      severities: c.severities,
    })),
  ];
  const kinds = kind
    ? [kind]
    : receivers.length > 0
      ? ALERT_KINDS.filter((k) => receivers.some((s) => s.kinds.includes(k)))
      : [...ALERT_KINDS];
  const samples: Sample[] = [];
  const notes: string[] = [];
  for (const k of kinds) {
    const ofKind = samplesOf(k);
    const usual = ofKind[0];
    if (!usual) continue;
    const subscribers = receivers.filter((s) => s.kinds.includes(k));
    const wanted = new Set<Severity>();
    for (const s of subscribers) {
      if (!s.severities) continue;
      const match = ofKind.filter((sample) => s.severities?.includes(sample.severity));
      if (match.length === 0) {
        notes.push(
          `${s.name} subscribes to ${k} but only at ${s.severities.join('/')}, and ${k} alerts are ${[
            ...new Set(ofKind.map((x) => x.severity)),
          ].join('/')}: it will never receive one.`,
        );
      }
      for (const sample of match) wanted.add(sample.severity);
    }
    if (subscribers.length === 0 || subscribers.some((s) => !s.severities)) wanted.add(usual.severity);
    for (const severity of wanted) {
      const sample = ofKind.find((x) => x.severity === severity);
      if (sample) samples.push(sample);
    }
  }
  return { samples, notes };
}

/** Runs the command; returns the exit code. Throws UsageError/ConfigError (exit 2). */
export async function runTestAlert(options: TestAlertOptions, io: Io): Promise<number> {
  const now = options.now ?? SAMPLE_NOW;
  if (options.kind !== undefined && !(ALERT_KINDS as readonly string[]).includes(options.kind)) {
    throw new UsageError(`--kind must be one of ${ALERT_KINDS.join(', ')} (got "${options.kind}")`);
  }
  const kind = options.kind as AlertKind | undefined;
  const { config, source } = await loadConfig({
    configPath: options.configPath,
    env: io.env,
    cwd: io.cwd,
    demo: false,
  });
  // Without --org, the first organization: a test alert shows what subscribers get, for any of them.
  const [org] = selectOrganizations(config, options.orgId);
  if (!org) throw new UsageError('The config has no organization.');
  const { samples, notes } = chooseSamples(config, kind);
  const printed: string[] = [];
  const notifier = openNotifier(io.env, io.cwd, (text) => printed.push(text), { demo: false }, config);
  const lines: string[] = [];
  let failed = 0;
  try {
    for (const sample of samples) {
      const message = sample.render({
        orgId: org.id,
        orgName: org.name,
        usdPerCredit: config.usdPerCredit,
        now,
        test: true,
      });
      const { kind: k, severity, rule } = message.attributes;
      const label = `${k.padEnd(11)} ${severity.padEnd(8)} rule=${rule}`;
      try {
        const id = await notifier.notifier.publish(message);
        lines.push(`  sent    ${label}  ${id}`, `          ${message.subject}`);
      } catch (error) {
        failed++;
        lines.push(
          `  FAILED  ${label}`,
          `          ${error instanceof Error ? error.message : String(error)}`,
        );
      }
    }
  } finally {
    await notifier.close();
  }
  const scope = kind
    ? `kind ${kind}`
    : config.subscriptions.length + config.chat.length > 0
      ? 'every kind the subscriptions and chat channels in the config list'
      : 'every kind (the config lists no subscriptions)';
  io.stdout(
    [
      `Test notifications for ${org.name} (${org.id}), ${scope}; config from ${source}.`,
      `Destination: ${notifier.description}.`,
      'Each is marked [TEST] and carries the real kind, severity, org and rule attributes; the alert ledger is untouched.',
      '',
      ...lines,
      '',
      `${samples.length - failed} of ${samples.length} sent${failed ? `, ${failed} failed` : ''}.`,
      ...notes.map((n) => `Note: ${n}`),
      '',
    ].join('\n'),
  );
  if (printed.length > 0) io.stdout(`\n${printed.join('')}`);
  return failed > 0 ? 1 : 0;
}

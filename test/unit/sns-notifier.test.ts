import 'aws-sdk-client-mock-vitest/extend';
import { PublishCommand, SNSClient, SNSServiceException } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  SNS_MAX_MESSAGE_BYTES,
  SnsMessageTooLargeError,
  SnsNotifier,
  SnsPublishError,
  sanitizeSubject,
} from '../../functions/adapters/sns-notifier.ts';
import { budgetMessage } from '../helpers/sns.ts';

const TOPIC_ARN = 'arn:aws:sns:us-east-1:123456789012:runway-budget-guard';

const snsMock = mockClient(SNSClient);

describe('SnsNotifier.publish', () => {
  beforeEach(() => {
    snsMock.reset();
  });

  it('publishes one structured message with the subject, the per-protocol bodies and the four attributes', async () => {
    // Prepare
    snsMock.on(PublishCommand).resolves({ MessageId: 'msg-1' });
    const notifier = new SnsNotifier({ client: new SNSClient({}), topicArn: TOPIC_ARN });
    const message = budgetMessage();
    const jsonBody = JSON.stringify(message.json);

    // Act
    const messageId = await notifier.publish(message);

    // Assess
    expect(messageId).toBe('msg-1');
    expect(snsMock).toHaveReceivedCommandTimes(PublishCommand, 1);
    expect(snsMock).toHaveReceivedCommandWith(PublishCommand, {
      TopicArn: TOPIC_ARN,
      Subject: 'Studio: monthly-total at 80% — $400.12 of $500.00',
      MessageStructure: 'json',
      Message: JSON.stringify({
        default: message.text,
        email: message.text,
        'email-json': jsonBody,
        sqs: jsonBody,
        lambda: jsonBody,
        https: jsonBody,
        http: jsonBody,
        firehose: jsonBody,
      }),
      MessageAttributes: {
        kind: { DataType: 'String', StringValue: 'budget' },
        severity: { DataType: 'String', StringValue: 'warning' },
        org: { DataType: 'String', StringValue: 'studio' },
        rule: { DataType: 'String', StringValue: 'monthly-total' },
      },
    });
    const input = snsMock.commandCalls(PublishCommand)[0]?.args[0].input;
    const structured = JSON.parse(input?.Message ?? '{}') as Record<string, string>;
    expect(structured.default).toBe(message.text);
    expect(structured.email).toBe(message.text);
    expect(JSON.parse(structured.sqs ?? '')).toEqual(message.json);
  });

  it('removes line breaks and control characters from the subject', async () => {
    // Prepare
    snsMock.on(PublishCommand).resolves({ MessageId: 'msg-2' });
    const notifier = new SnsNotifier({ client: new SNSClient({}), topicArn: TOPIC_ARN });

    // Act
    await notifier.publish(
      budgetMessage({ subject: '  Studio:\r\nveo-daily\tat 100%\u0007\u2028— 4,000 credits\n' }),
    );

    // Assess
    expect(snsMock).toHaveReceivedCommandWith(PublishCommand, {
      Subject: 'Studio: veo-daily at 100% — 4,000 credits',
    });
  });

  it('cuts a 150-character subject to at most 100 characters ending with "…"', async () => {
    // Prepare
    snsMock.on(PublishCommand).resolves({ MessageId: 'msg-3' });
    const notifier = new SnsNotifier({ client: new SNSClient({}), topicArn: TOPIC_ARN });
    const subject = `Studio production: ${'x'.repeat(150 - 'Studio production: '.length)}`;
    expect(subject).toHaveLength(150);

    // Act
    await notifier.publish(budgetMessage({ subject }));

    // Assess
    const sent = snsMock.commandCalls(PublishCommand)[0]?.args[0].input.Subject ?? '';
    expect(sent.length).toBeLessThanOrEqual(100);
    expect(sent.endsWith('…')).toBe(true);
    expect(sent).toBe(`${subject.slice(0, 99)}…`);
  });

  it('throws SnsPublishError when SNS answers without a MessageId', async () => {
    // Prepare
    snsMock.on(PublishCommand).resolves({});
    const notifier = new SnsNotifier({ client: new SNSClient({}), topicArn: TOPIC_ARN });

    // Act
    const publishing = notifier.publish(budgetMessage());

    // Assess
    await expect(publishing).rejects.toThrow(SnsPublishError);
    await expect(publishing).rejects.toThrow(/returned no MessageId/);
  });

  it.each([
    ['InvalidParameter', 400, true],
    ['InvalidParameterValue', 400, true],
    ['ValidationException', 400, true],
    ['Throttling', 400, false],
    ['KMSThrottling', 400, false],
    ['KMSDisabled', 400, false],
    ['AuthorizationError', 403, false],
    ['NotFound', 404, false],
    ['InternalError', 500, false],
  ] as const)('classifies %s (%i) as permanent: %s', async (name, status, permanent) => {
    snsMock.on(PublishCommand).rejects(
      new SNSServiceException({
        name,
        message: 'test',
        $fault: 'client',
        $metadata: { httpStatusCode: status },
      }),
    );
    const notifier = new SnsNotifier({ client: new SNSClient({}), topicArn: TOPIC_ARN });
    const error = await notifier.publish(budgetMessage()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SnsPublishError);
    expect((error as SnsPublishError).permanent).toBe(permanent);
  });

  it('wraps an SNS throttling error, naming the topic and subject, with the original as cause', async () => {
    // Prepare
    const throttled = new SNSServiceException({
      name: 'Throttling',
      message: 'Rate exceeded',
      $fault: 'client',
      $metadata: { httpStatusCode: 400 },
    });
    snsMock.on(PublishCommand).rejects(throttled);
    const notifier = new SnsNotifier({ client: new SNSClient({}), topicArn: TOPIC_ARN });

    // Act
    const error = await notifier.publish(budgetMessage()).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(SnsPublishError);
    const publishError = error as SnsPublishError;
    expect(publishError.name).toBe('SnsPublishError');
    expect(publishError.cause).toBe(throttled);
    expect(publishError.topicArn).toBe(TOPIC_ARN);
    expect(publishError.message).toContain(TOPIC_ARN);
    expect(publishError.message).toContain('Studio: monthly-total at 80%');
    expect(publishError.message).toContain('Throttling: Rate exceeded');
  });

  it('falls back to a subject naming the kind and organization when nothing printable is left', async () => {
    // Prepare
    snsMock.on(PublishCommand).resolves({ MessageId: 'msg-4' });
    const notifier = new SnsNotifier({ client: new SNSClient({}), topicArn: TOPIC_ARN });

    // Act
    await notifier.publish(budgetMessage({ subject: '\n\u0000 ' }));

    // Assess
    expect(snsMock).toHaveReceivedCommandWith(PublishCommand, {
      Subject: 'Runway Budget Guard: budget alert for studio',
    });
  });

  it('refuses a message over 256 KiB before calling SNS', async () => {
    // Prepare
    const notifier = new SnsNotifier({ client: new SNSClient({}), topicArn: TOPIC_ARN });
    const text = 'x'.repeat(SNS_MAX_MESSAGE_BYTES / 2);

    // Act
    const publishing = notifier.publish(budgetMessage({ text }));

    // Assess
    await expect(publishing).rejects.toThrow(SnsMessageTooLargeError);
    await expect(publishing).rejects.toThrow(/at most 262144/);
    expect(snsMock).not.toHaveReceivedCommand(PublishCommand);
  });

  it('counts UTF-8 bytes, not characters, against the size limit', async () => {
    // Prepare: 60,000 three-byte characters appear twice (default and email): ~360 KB, 120,000 characters.
    const notifier = new SnsNotifier({ client: new SNSClient({}), topicArn: TOPIC_ARN });

    // Act
    const publishing = notifier.publish(budgetMessage({ text: '€'.repeat(60_000) }));

    // Assess
    await expect(publishing).rejects.toThrow(SnsMessageTooLargeError);
  });
});

describe('sanitizeSubject', () => {
  it('keeps a subject SNS already accepts unchanged', () => {
    expect(sanitizeSubject('Studio: monthly-total at 80% — $400.12 of $500.00')).toBe(
      'Studio: monthly-total at 80% — $400.12 of $500.00',
    );
  });

  it('drops leading characters that are not a letter, number or punctuation', () => {
    expect(sanitizeSubject('🔥 ✅ Studio over budget')).toBe('Studio over budget');
    expect(sanitizeSubject('$400 spent')).toBe('$400 spent');
  });

  it('keeps exactly 100 characters as they are', () => {
    const subject = 'a'.repeat(100);
    expect(sanitizeSubject(subject)).toBe(subject);
  });

  it('never splits a surrogate pair when cutting', () => {
    const cut = sanitizeSubject(`A${'😀'.repeat(80)}`);
    expect(cut.length).toBeLessThanOrEqual(100);
    expect(cut.endsWith('😀…')).toBe(true);
    expect(cut).not.toMatch(/\p{Cs}/u);
  });

  it('returns an empty string when nothing printable is left', () => {
    expect(sanitizeSubject('\n\t\u0000 ')).toBe('');
  });
});

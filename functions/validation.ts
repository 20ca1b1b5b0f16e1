/**
 * Turns zod issues into sentences a person can act on: each names the JSON path of the bad value and
 * what was expected there. zod/mini carries no locale text, so the wording lives here.
 */

import type { core } from 'zod/mini';

type ZodIssueLike = core.$ZodIssue;

/** Formats a path as `$.organizations[0].budgets[1].limit` (the root alone is `$`). */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '$';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else if (typeof part === 'string' && /^[A-Za-z_$][\w$]*$/.test(part)) out += `.${part}`;
    else out += `[${JSON.stringify(String(part))}]`;
  }
  return out;
}

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string')
    return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  if (typeof value === 'number') return `the number ${value}`;
  return typeof value === 'undefined' ? 'nothing' : `a ${typeof value}`;
}

/** What went wrong at one path, without the path. */
export function describeIssue(zodIssue: ZodIssueLike): string {
  const issue = zodIssue as unknown as Record<string, unknown> & { code: string; message?: string };
  // A message set on the schema itself is already specific.
  if (issue.message && issue.message !== 'Invalid input') return issue.message;
  switch (issue.code) {
    case 'invalid_type':
      return issue.input === undefined
        ? `is required (expected ${issue.expected})`
        : `expected ${issue.expected}, got ${describeValue(issue.input)}`;
    case 'too_big':
      if (issue.origin === 'array') return `has too many entries (at most ${issue.maximum})`;
      if (issue.origin === 'string') return `is too long (at most ${issue.maximum} characters)`;
      return `must be ${issue.inclusive ? 'at most' : 'less than'} ${issue.maximum}`;
    case 'too_small':
      if (issue.origin === 'array')
        return `needs at least ${issue.minimum} entr${issue.minimum === 1 ? 'y' : 'ies'}`;
      if (issue.origin === 'string') return `must not be empty (at least ${issue.minimum} characters)`;
      return `must be ${issue.inclusive ? 'at least' : 'greater than'} ${issue.minimum}`;
    case 'invalid_value':
      return `must be one of ${(issue.values as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
    case 'unrecognized_keys':
      return `has unknown key${(issue.keys as string[]).length > 1 ? 's' : ''} ${(issue.keys as string[])
        .map((k) => JSON.stringify(k))
        .join(', ')} (check the spelling against the README's configuration reference)`;
    case 'invalid_format':
      return issue.format === 'regex' ? `does not match ${issue.pattern}` : `is not a valid ${issue.format}`;
    case 'not_multiple_of':
      return `must be a multiple of ${issue.divisor}`;
    case 'invalid_union':
      return 'does not match any of the allowed shapes';
    default:
      return issue.message ?? 'is invalid';
  }
}

/** One line per issue: `$.path: what is wrong`. */
export function formatIssues(issues: readonly ZodIssueLike[]): string[] {
  return issues.map((issue) => `${formatPath(issue.path)}: ${describeIssue(issue)}`);
}

/** Rule inputs for unit tests: the config's first organization, with the rest of the input as given. */
import type { Config } from '../../functions/config.ts';
import type { RuleInput } from '../../functions/domain/alerts/registry.ts';

/** `{ org: config.organizations[0], config, ...rest }`; throws when the config has no organization. */
export function ruleInputOf(config: Config, rest: Omit<RuleInput, 'org' | 'config'>): RuleInput {
  const org = config.organizations[0];
  if (!org) throw new Error('the config has no organization');
  return { org, config, ...rest };
}

/**
 * Runway's published model names, and the check that a budget's `model` names one the guard can ever see.
 *
 * A budget whose model is a typo (`veo3.2`) counts nothing and never fires, silently. It is not an error:
 * Runway adds models, and an organization uses a model for the first time some day. So the guard warns, twice:
 * at synth against this list, and at `budget-guard check` against the organization's tier and stored usage.
 *
 * The list is the SDK's usage `model` union (`@runwayml/sdk` resources/organization/organization.d.ts),
 * written out because types do not exist at run time; test/unit/runway-models.test.ts compares it with the
 * installed SDK's .d.ts text, so upgrading the SDK fails that test until the list is updated.
 */

/** The SDK version the list was copied from. */
export const RUNWAY_MODELS_SDK_VERSION = '4.20.1';

export const RUNWAY_KNOWN_MODELS: readonly string[] = [
  'gen4.5',
  'gen3a_turbo',
  'gen4_turbo',
  'gen4_image',
  'gen4_image_turbo',
  'gpt_image_2',
  'gpt_image_2_5_flare',
  'gpt_image_2_5_sunburst',
  'act_two',
  'gen4_aleph',
  'veo3',
  'veo3.1',
  'veo3.1_fast',
  'gemini_2.5_flash',
  'gemini_image3_pro',
  'gemini_image3.1_flash',
  'seedream5_pro',
  'seedream5_lite',
  'gemini_omni_flash',
  'gemini_omni_flash_1.1',
  'eleven_multilingual_v2',
  'seed_audio',
  'eleven_v3',
  'eleven_text_to_sound_v2',
  'eleven_voice_isolation',
  'eleven_voice_dubbing',
  'eleven_multilingual_sts_v2',
  'eleven_scribe_v2',
  'gwm1_avatars',
  'gwm1_avatar_async_audio_to_video',
  'gwm1_avatar_async_text_to_video',
  'voice_processing',
  'seedance2',
  'seedance2_5',
  'seedance2_fast',
  'seedance2_mini',
  'hailuo3',
  'h3_max',
  'wan3',
  'wan3_prime',
  'grok_imagine_1_5',
  'grok_imagine_image_2',
  'muse_image',
  'magnific_precision_upscaler_v2',
  'magnific_video_upscaler_creative',
  'ruby',
  'enhance_frame_rate',
  'kling2.5_turbo_pro',
  'kling3.0_pro',
  'kling3.0_4k',
  'kling3.0_standard',
  'klingO3_pro',
  'klingO3_standard',
  'klingO3_4k',
  'happyhorse_1_0',
  'aleph2',
  'product_swap',
  'product_ad',
  'multi_shot_video',
  'product_ugc',
  'marketing_stock_image',
  'product_campaign_image',
  'ad_localization',
];

/** Levenshtein distance: insertions, deletions and substitutions of one character. */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i += 1) {
    const current = [i];
    for (let j = 1; j <= b.length; j += 1) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

/**
 * The candidate closest to `name` (ignoring case), if it is close enough to be a likely typo: at most 2 edits,
 * or a third of the name's length for long names. Ties go to the earlier candidate.
 */
export function closestName(name: string, candidates: Iterable<string>): string | undefined {
  const wanted = name.toLowerCase();
  const allowed = Math.max(2, Math.floor(name.length / 3));
  let best: { name: string; distance: number } | undefined;
  for (const candidate of candidates) {
    if (candidate === name) continue;
    const distance = editDistance(wanted, candidate.toLowerCase());
    if (distance <= allowed && (!best || distance < best.distance)) best = { name: candidate, distance };
  }
  return best?.name;
}

/** A budget naming a model outside a known set. */
export interface UnknownModel {
  /** JSON path of the budget's `model` in the config, e.g. `$.organizations[0].budgets[1].model`. */
  readonly path: string;
  readonly orgId: string;
  readonly budgetId: string;
  readonly model: string;
  /** The closest known name, when one is close enough to be the intended one. */
  readonly suggestion?: string | undefined;
}

interface BudgetLike {
  readonly id: string;
  readonly model?: string | undefined;
}
interface OrganizationLike {
  readonly id: string;
  readonly budgets?: readonly BudgetLike[] | undefined;
}

/**
 * Budgets whose model is not in `known(org)`. `suggest(org, model)` lists the names to suggest from
 * (default: the known ones). `orgIndex` is each organization's index in the config, for the JSON path.
 */
export function unknownBudgetModels<O extends OrganizationLike>(
  organizations: readonly O[],
  known: (org: O) => Iterable<string>,
  options: {
    orgIndex?: (org: O, position: number) => number;
    suggest?: (org: O, model: string) => Iterable<string>;
  } = {},
): UnknownModel[] {
  const out: UnknownModel[] = [];
  organizations.forEach((org, position) => {
    const knownNames = new Set(known(org));
    const index = options.orgIndex?.(org, position) ?? position;
    (org.budgets ?? []).forEach((budget, b) => {
      if (budget.model === undefined || knownNames.has(budget.model)) return;
      out.push({
        path: `$.organizations[${index}].budgets[${b}].model`,
        orgId: org.id,
        budgetId: budget.id,
        model: budget.model,
        suggestion: closestName(budget.model, options.suggest?.(org, budget.model) ?? knownNames),
      });
    });
  });
  return out;
}

/** The synth-time warning: the model is not in Runway's published list. */
export function synthModelWarning(u: UnknownModel): string {
  return (
    `${u.path}: budget "${u.budgetId}" names the model "${u.model}", which is not in Runway's published model ` +
    `list (@runwayml/sdk ${RUNWAY_MODELS_SDK_VERSION})${u.suggestion ? `; did you mean "${u.suggestion}"?` : '.'} ` +
    'A budget counts only spend on exactly that name, so with a typo it never fires. If it is a model Runway ' +
    'added later, ignore this warning.'
  );
}

/** The `check` warning: the organization's tier and stored usage never mention the model. */
export function checkModelWarning(u: UnknownModel): string {
  const published = RUNWAY_KNOWN_MODELS.includes(u.model);
  return (
    `${u.path}: budget "${u.budgetId}" of ${u.orgId} names the model "${u.model}", which is neither in the ` +
    `organization's tier nor in its stored usage, so the budget counts nothing yet${
      u.suggestion ? `; did you mean "${u.suggestion}"?` : '.'
    } ${
      published
        ? 'It is a model Runway publishes: if the organization has simply not used it yet, ignore this warning.'
        : "It is not in Runway's published model list either: check the spelling, unless it is a model Runway added later."
    }`
  );
}

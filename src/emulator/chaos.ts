import { z } from 'zod';
import { mulberry32, pick, type Random } from './random.js';

export const FAULT_KINDS = [
  '500',
  '502',
  '503',
  '429',
  '429-no-retry-after',
  '503-retry-after',
  'hang',
  'slow-body',
  'reset',
  'not-json',
  'html',
  'renamed-fields',
  'truncated-json',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface Fault {
  kind: FaultKind;
  /** Seconds for `Retry-After` on `429` and `503-retry-after` (default 1). */
  retryAfter?: number;
}

/** A fault as written in a chaos rule: `"503"`, `503`, or `{"kind": "429", "retryAfter": 3}`. */
export type FaultInput = FaultKind | number | Fault;

export interface ChaosRuleInput {
  /** Only requests for this project are affected; without it the rule covers every project without its own rule. */
  projectId?: string;
  /** A script: one fault per matching request, in order, then normal answers. */
  faults?: FaultInput[];
  /** After the script, inject a random fault from `rateFaults` with this probability (0..1). */
  rate?: number;
  rateFaults?: FaultInput[];
  seed?: number;
  /** Default `retryAfter` for this rule's faults. */
  retryAfter?: number;
}

export interface ChaosRule {
  projectId: string | null;
  remaining: Fault[];
  rate: number;
  rateFaults: Fault[];
  seed: number;
}

export const DEFAULT_RATE_FAULTS: readonly FaultKind[] = ['500', '502', '503', '429'];

export function isFaultKind(value: string): value is FaultKind {
  return (FAULT_KINDS as readonly string[]).includes(value);
}

const faultKindSchema = z
  .union([z.string(), z.number()])
  .transform(String)
  .refine(isFaultKind, { message: `fault must be one of: ${FAULT_KINDS.join(', ')}` })
  .transform((kind) => kind as FaultKind);
const retryAfterSchema = z.number().int().min(0).max(86_400);
const faultSchema = z.union([
  faultKindSchema,
  z.strictObject({ kind: faultKindSchema, retryAfter: retryAfterSchema.optional() }),
]);

export const chaosRuleSchema = z.strictObject({
  projectId: z.string().min(1).optional(),
  faults: z.array(faultSchema).max(10_000).optional(),
  rate: z.number().min(0).max(1).optional(),
  rateFaults: z.array(faultSchema).min(1).optional(),
  seed: z.number().int().optional(),
  retryAfter: retryAfterSchema.optional(),
});

interface ActiveRule extends ChaosRule {
  random: Random;
}

/** Holds the chaos rules (one per project scope, plus one global) and decides each request's fault. */
export class ChaosController {
  private readonly rulesByScope = new Map<string | null, ActiveRule>();

  /**
   * Sets (replaces) the rule for `input.projectId`, or the global rule. The input may come from a client as
   * JSON, so it is validated here; a ZodError reports what is wrong.
   */
  set(input: ChaosRuleInput): ChaosRule {
    const parsed = chaosRuleSchema.parse(input);
    const toFault = (value: z.infer<typeof faultSchema>): Fault => {
      const fault: Fault = typeof value === 'string' ? { kind: value } : { kind: value.kind };
      const retryAfter = typeof value === 'string' ? parsed.retryAfter : (value.retryAfter ?? parsed.retryAfter);
      if (retryAfter !== undefined) fault.retryAfter = retryAfter;
      return fault;
    };
    const seed = parsed.seed ?? 1;
    const rule: ActiveRule = {
      projectId: parsed.projectId ?? null,
      remaining: (parsed.faults ?? []).map(toFault),
      rate: parsed.rate ?? 0,
      rateFaults: (parsed.rateFaults ?? [...DEFAULT_RATE_FAULTS]).map(toFault),
      seed,
      random: mulberry32(seed),
    };
    this.rulesByScope.set(rule.projectId, rule);
    return snapshot(rule);
  }

  /** Clears one project's rule, or every rule. */
  clear(projectId?: string): void {
    if (projectId === undefined) this.rulesByScope.clear();
    else this.rulesByScope.delete(projectId);
  }

  rules(): ChaosRule[] {
    return [...this.rulesByScope.values()].map(snapshot);
  }

  /** The fault for the next request for `projectId` (consuming one scripted fault), if any. */
  next(projectId: string | undefined): Fault | undefined {
    const scoped = projectId === undefined ? undefined : this.rulesByScope.get(projectId);
    const rule = scoped ?? this.rulesByScope.get(null);
    if (!rule) return undefined;
    const scripted = rule.remaining.shift();
    if (scripted) return scripted;
    if (rule.rate > 0) {
      if (rule.random() < rule.rate) return { ...pick(rule.random, rule.rateFaults) };
      return undefined;
    }
    this.rulesByScope.delete(rule.projectId); // script used up and no rate: the rule is done
    return scoped ? this.next(undefined) : undefined;
  }
}

function snapshot(rule: ActiveRule): ChaosRule {
  return {
    projectId: rule.projectId,
    remaining: rule.remaining.map((fault) => ({ ...fault })),
    rate: rule.rate,
    rateFaults: rule.rateFaults.map((fault) => ({ ...fault })),
    seed: rule.seed,
  };
}

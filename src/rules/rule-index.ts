import type { CompiledRule } from './rule-runtime.js';

export type KeyBucket = Map<string, CompiledRule[]>;

/** The rules of one organization, by what they watch: one device, one device type, or every device × key. */
export class OrganizationRules {
  readonly byDevice = new Map<string, KeyBucket>();
  readonly byType = new Map<string, KeyBucket>();
  readonly all: KeyBucket = new Map();
  /** Rules that react to device.status (device_offline). */
  readonly status: CompiledRule[] = [];
  /** Every active rule of the organization, by id. */
  readonly rules = new Map<string, CompiledRule>();

  bucketFor(rule: CompiledRule, create: boolean): KeyBucket | undefined {
    const t = rule.target;
    if (t.kind === 'all') return this.all;
    const map = t.kind === 'device' ? this.byDevice : this.byType;
    const id = t.kind === 'device' ? t.deviceId : t.deviceType;
    let bucket = map.get(id);
    if (!bucket && create) {
      bucket = new Map();
      map.set(id, bucket);
    }
    return bucket;
  }
}

/**
 * Rules indexed by organization × target × key, so a point reaches only the rules that watch its device and
 * key: three map lookups per point, whatever the number of rules. Changes (create, update, delete, toggle)
 * re-index in memory at once. Several nodes will need each node told of changes (the cache/bus of issue 9).
 */
export class RuleIndex {
  private readonly orgs = new Map<string, OrganizationRules>();

  organization(id: string): OrganizationRules | undefined {
    return this.orgs.get(id);
  }

  get size(): number {
    let n = 0;
    for (const o of this.orgs.values()) n += o.rules.size;
    return n;
  }

  *rules(): IterableIterator<CompiledRule> {
    for (const o of this.orgs.values()) yield* o.rules.values();
  }

  get(organizationId: string, ruleId: string): CompiledRule | undefined {
    return this.orgs.get(organizationId)?.rules.get(ruleId);
  }

  add(rule: CompiledRule): void {
    let org = this.orgs.get(rule.organizationId);
    if (!org) {
      org = new OrganizationRules();
      this.orgs.set(rule.organizationId, org);
    }
    org.rules.set(rule.id, rule);
    const bucket = org.bucketFor(rule, rule.watchKeys.length > 0);
    for (const key of rule.watchKeys) {
      const list = bucket?.get(key);
      if (list) list.push(rule);
      else bucket?.set(key, [rule]);
    }
    if (rule.watchesStatus) org.status.push(rule);
  }

  remove(rule: CompiledRule): void {
    const org = this.orgs.get(rule.organizationId);
    if (!org || org.rules.get(rule.id) !== rule) return;
    org.rules.delete(rule.id);
    const bucket = org.bucketFor(rule, false);
    for (const key of rule.watchKeys) {
      const list = bucket?.get(key)?.filter((r) => r !== rule);
      if (list?.length) bucket?.set(key, list);
      else bucket?.delete(key);
    }
    if (bucket && bucket.size === 0 && rule.target.kind !== 'all') {
      if (rule.target.kind === 'device') org.byDevice.delete(rule.target.deviceId);
      else org.byType.delete(rule.target.deviceType);
    }
    const at = org.status.indexOf(rule);
    if (at >= 0) org.status.splice(at, 1);
    if (org.rules.size === 0) this.orgs.delete(rule.organizationId);
  }
}

import type { SecretSource } from './secret-source.js';
import type { SecretKind } from './types.js';

export interface StackSecret {
  /** Name in .env; services get it through `${NAME}` in docker-compose.yml. */
  envVar: string;
  value: string;
  description: string;
  /** Instances meant to know this secret: its owner, and consumers given it on purpose. */
  audience: string[];
}

/** Every secret of a bundle, with who may know it; rendered into .env and checked by the tests. */
export class StackSecrets {
  private readonly entries = new Map<string, StackSecret>();

  constructor(private readonly source: SecretSource) {}

  /** Defines (or returns) a generated secret. */
  define(envVar: string, kind: SecretKind, description: string, audience: readonly string[]): StackSecret {
    const existing = this.entries.get(envVar);
    if (existing) {
      this.share(envVar, ...audience);
      return existing;
    }
    return this.put({ envVar, value: this.generate(envVar, kind), description, audience: [...audience] });
  }

  /** A secret the caller chose (the MQTT password in the settings). */
  provided(envVar: string, value: string, description: string, audience: readonly string[]): StackSecret {
    return this.put({ envVar, value, description, audience: [...audience] });
  }

  /** Gives a consumer a provider's credential on purpose (a datasource reading a database). */
  share(envVar: string, ...instances: string[]): void {
    const entry = this.entries.get(envVar);
    if (!entry) throw new Error(`unknown secret ${envVar}`);
    for (const i of instances) if (!entry.audience.includes(i)) entry.audience.push(i);
  }

  get(envVar: string): StackSecret {
    const entry = this.entries.get(envVar);
    if (!entry) throw new Error(`unknown secret ${envVar}`);
    return entry;
  }

  value(envVar: string): string {
    return this.get(envVar).value;
  }

  list(): StackSecret[] {
    return [...this.entries.values()];
  }

  /** Raw bytes for keys that are not strings (certificate keys), from the same seeded source. */
  bytes(label: string, length: number, offset = 0): Buffer {
    return this.source.bytes(label, length, offset);
  }

  private put(entry: StackSecret): StackSecret {
    if (this.entries.has(entry.envVar)) throw new Error(`secret ${entry.envVar} defined twice`);
    this.entries.set(entry.envVar, entry);
    return entry;
  }

  private generate(label: string, kind: SecretKind): string {
    switch (kind) {
      case 'password':
        return this.source.password(label, 32);
      case 'token':
        return this.source.password(label, 48);
      case 'hex':
        return this.source.hex(label, 32);
      case 'base64':
        return this.source.base64url(label, 48);
    }
  }
}

/** `.env` name of an instance's secret: `node-red` + `ADMIN_PASSWORD` → `NODE_RED_ADMIN_PASSWORD`. */
export function envVarOf(instanceName: string, key: string): string {
  return `${instanceName.toUpperCase().replace(/-/g, '_')}_${key}`;
}

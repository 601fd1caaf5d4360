import type { Role } from './roles.js';

/** Who is calling, in which organization, with which role. Every scoped query takes its organizationId. */
export interface Principal {
  kind: 'user' | 'api_key';
  /** User id or API key id. */
  id: string;
  /** Username or API key name, for audit lines. */
  name: string;
  organizationId: string;
  role: Role;
  isPlatformAdmin: boolean;
}

/** Roles inside an organization, strongest first. A route names the weakest role it admits. */
export const ROLES = ['owner', 'admin', 'operator', 'viewer'] as const;
export type Role = (typeof ROLES)[number];

const RANK: Record<Role, number> = { owner: 4, admin: 3, operator: 2, viewer: 1 };

export const isRole = (v: unknown): v is Role => typeof v === 'string' && (ROLES as readonly string[]).includes(v);

export const roleAtLeast = (role: Role, minimum: Role): boolean => RANK[role] >= RANK[minimum];

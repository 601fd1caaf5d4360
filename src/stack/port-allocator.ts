/** A host port claim: who wants it, and whether the caller asked for it explicitly. */
export interface PortClaim {
  instance: string;
  container: number;
  preferred: number;
  explicit: boolean;
  protocol: 'tcp' | 'udp';
}

export interface PortAssignment extends PortClaim {
  host: number;
}

export interface PortCollision {
  port: number;
  protocol: 'tcp' | 'udp';
  /** Every claim on the port, the one that keeps it first. */
  claims: PortClaim[];
  /** True when two explicit claims collide: nothing can be moved without overriding the caller. */
  unresolvable: boolean;
}

/**
 * Gives every published port a host port, conflict-free. Explicit ports (the caller's) are placed first and
 * never moved; catalog defaults that collide move up to the next free port, so a stack with both Mosquitto
 * and EMQX still starts (EMQX on 1884). Two explicit claims on one port are reported, not guessed.
 */
export class PortAllocator {
  allocate(claims: readonly PortClaim[]): { assignments: PortAssignment[]; collisions: PortCollision[] } {
    const used = new Map<string, PortClaim>();
    const byPort = new Map<string, PortClaim[]>();
    const key = (port: number, protocol: string) => `${protocol}/${port}`;
    for (const c of claims) {
      const k = key(c.preferred, c.protocol);
      byPort.set(k, [...(byPort.get(k) ?? []), c]);
    }
    const collisions: PortCollision[] = [];
    for (const list of byPort.values()) {
      if (list.length < 2) continue;
      const ordered = [...list].sort((a, b) => Number(b.explicit) - Number(a.explicit));
      const first = ordered[0]!;
      collisions.push({
        port: first.preferred,
        protocol: first.protocol,
        claims: ordered,
        unresolvable: ordered.filter((c) => c.explicit).length > 1,
      });
    }

    const assigned = new Map<PortClaim, number>();
    // Explicit claims first so a default never takes a port the caller named.
    for (const c of claims.filter((c) => c.explicit)) {
      const k = key(c.preferred, c.protocol);
      if (!used.has(k)) used.set(k, c);
      assigned.set(c, c.preferred);
    }
    for (const c of claims.filter((c) => !c.explicit)) {
      let port = c.preferred;
      while (used.has(key(port, c.protocol)) && port < 65535) port++;
      used.set(key(port, c.protocol), c);
      assigned.set(c, port);
    }
    return { assignments: claims.map((c) => ({ ...c, host: assigned.get(c)! })), collisions };
  }
}

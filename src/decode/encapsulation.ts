/**
 * Encapsulations the decoder opens, counted per packet, and the tenant id
 * that keeps apart virtual networks whose addresses overlap.
 */

/** Indexes of Decoder.encapsulations; names as reported in JSON and metrics. */
export const Encap = {
  VLAN: 0,
  QINQ: 1,
  MPLS: 2,
  GRE: 3,
  ERSPAN_I: 4,
  ERSPAN_II: 5,
  ERSPAN_III: 6,
  VXLAN: 7,
  GENEVE: 8,
} as const;

export const ENCAPSULATION_NAMES: readonly string[] = ['vlan', 'qinq', 'mpls', 'gre', 'erspan_i', 'erspan_ii', 'erspan_iii', 'vxlan', 'geneve'];

/** Non-zero counts by name, as decode errors are reported. */
export function encapsulationCounts(counts: Float64Array): Record<string, number> {
  const out: Record<string, number> = {};
  for (let i = 0; i < ENCAPSULATION_NAMES.length; i++) {
    if (counts[i]! > 0) out[ENCAPSULATION_NAMES[i]!] = counts[i]!;
  }
  return out;
}

/** Kinds of tenant id, the high part of Packet.tenant. */
export const TenantKind = { NONE: 0, VLAN: 1, VNI: 2, GENEVE: 3, GRE_KEY: 4, ERSPAN: 5, MPLS: 6 } as const;
const TENANT_PREFIX = ['', 'vlan', 'vni', 'geneve', 'gre-key', 'erspan', 'mpls'];
const ID_SPAN = 2 ** 32;

/** Packs a kind and a 32-bit id into one number (exact: below 2^53). */
export function tenantOf(kind: number, id: number): number {
  return kind * ID_SPAN + (id >>> 0);
}

export function tenantKind(tenant: number): number {
  return Math.floor(tenant / ID_SPAN);
}

export function tenantId(tenant: number): number {
  return tenant % ID_SPAN;
}

/**
 * Text form for reports: null for none, else "vlan:20", "vni:5001",
 * "geneve:77", "gre-key:9", "erspan:3", "mpls:100"; QinQ (an 802.1ad
 * service tag over a customer tag) as "vlan:100.20".
 */
export function formatTenant(tenant: number): string | null {
  if (tenant === 0) return null;
  const kind = tenantKind(tenant);
  const id = tenantId(tenant);
  const prefix = TENANT_PREFIX[kind] ?? `kind${kind}`;
  if (kind === TenantKind.VLAN && id > 0xfff) return `${prefix}:${id >>> 12}.${id & 0xfff}`;
  return `${prefix}:${id}`;
}

/** Inverse of formatTenant (for configuration and tests); null when the text is not a tenant. */
export function parseTenant(text: string): number | null {
  const m = /^([a-z-]+):(\d+)(?:\.(\d+))?$/.exec(text);
  if (!m) return null;
  const kind = TENANT_PREFIX.indexOf(m[1]!);
  if (kind <= 0) return null;
  let id = Number(m[2]);
  if (m[3] !== undefined) {
    if (kind !== TenantKind.VLAN || id > 0xfff || Number(m[3]) > 0xfff) return null;
    id = (id << 12) | Number(m[3]);
  }
  if (id > 0xffffffff) return null;
  return tenantOf(kind, id);
}

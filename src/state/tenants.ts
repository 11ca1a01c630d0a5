/**
 * Tenants (VLAN, VNI, GRE key...: decode/encapsulation.ts packs them in a
 * number below 2^53) interned to small indices, so that the flow,
 * probation and source keys can carry them as a few bits and stay plain
 * numbers. Index 0 is "no tenant". Bounded: past `capacity - 1` tenants the
 * rest share the last index (counted in `overflow`), so memory stays fixed
 * whatever a mirror carries.
 */
export class TenantTable {
  private readonly index = new Map<number, number>();
  private readonly values: Float64Array;
  private lastTenant = 0;
  private lastIndex = 0;
  /** Packets whose tenant found no index of its own (they share the last one). */
  overflow = 0;

  constructor(readonly capacity = 4096) {
    this.values = new Float64Array(capacity);
  }

  /** The index of a tenant (0 for none). Consecutive packets of one tenant cost one comparison. */
  indexOf(tenant: number): number {
    if (tenant === this.lastTenant) return this.lastIndex;
    let i = tenant === 0 ? 0 : this.index.get(tenant);
    if (i === undefined) {
      if (this.index.size + 1 < this.capacity - 1) {
        i = this.index.size + 1;
        this.index.set(tenant, i);
        this.values[i] = tenant;
      } else {
        i = this.capacity - 1;
        this.overflow++;
      }
    }
    this.lastTenant = tenant;
    this.lastIndex = i;
    return i;
  }

  /** The tenant of an index (0 for none or for the shared overflow index). */
  tenantAt(i: number): number {
    return i === this.capacity - 1 ? 0 : this.values[i]!;
  }
}

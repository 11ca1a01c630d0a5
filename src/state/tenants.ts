/**
 * Tenants (VLAN, VNI, GRE key...: decode/encapsulation.ts packs them in a
 * number below 2^53) interned to small indices, so that the flow,
 * probation and source keys can carry them as a few bits and stay plain
 * numbers. Index 0 is "no tenant".
 *
 * Bounded and aged: `capacity - 2` tenants have an index of their own. When
 * all are taken, a new tenant takes the index of one idle for `reuseAfter`
 * seconds (found by a clock hand that looks at a few indices per new
 * tenant, so a flood of tags costs a bounded amount per packet); by then
 * the old tenant's flows have expired and its sources' windows have passed,
 * so nothing it left is read under the new tenant's name. Failing that, the
 * tenant shares the last index, OVERFLOW, reported as the tenant
 * "overflow" (never as no tenant): a flood of 2^24 QinQ tag pairs can then
 * merge tenants' traffic, but the report says so, and the merge ends as
 * soon as indices come free. Both are counted (`reclaimed`, `overflow`).
 */
export class TenantTable {
  private readonly index = new Map<number, number>();
  private readonly values: Float64Array;
  /** When each index was last used (packet time, seconds). */
  private readonly lastUsed: Float64Array;
  private lastTenant = 0;
  private lastIndex = 0;
  private hand = 1;
  /** Indices handed out so far (they are reclaimed, never freed). */
  private assigned = 0;
  /** Packets whose tenant found no index of its own (they share OVERFLOW). */
  overflow = 0;
  /** Indices taken back from a tenant idle for `reuseAfter` seconds and given to a new one. */
  reclaimed = 0;
  /** The shared index of tenants that found none of their own. */
  readonly overflowIndex: number;

  constructor(
    /** Indices, 0 and the shared one included. The target table keys 15 bits of it (engine/recon.ts). */
    readonly capacity = 32768,
    /** Seconds an index must be idle before a new tenant may take it (the engine's window). */
    public reuseAfter = 900,
  ) {
    this.values = new Float64Array(capacity);
    this.lastUsed = new Float64Array(capacity);
    this.overflowIndex = capacity - 1;
  }

  /** Tenants with an index of their own now. */
  get size(): number {
    return this.index.size;
  }

  /** The index of a tenant (0 for none) at packet time `now` (whole seconds are enough: indices idle for minutes are reclaimed). Consecutive packets of one tenant cost one comparison and a store. */
  indexOf(tenant: number, now: number): number {
    if (tenant === this.lastTenant) {
      this.lastUsed[this.lastIndex] = now;
      if (this.lastIndex === this.overflowIndex) this.overflow++;
      return this.lastIndex;
    }
    let i = tenant === 0 ? 0 : this.index.get(tenant);
    if (i === undefined) i = this.assign(tenant, now);
    this.lastUsed[i] = now;
    this.lastTenant = tenant;
    this.lastIndex = i;
    return i;
  }

  /** Hand steps per new tenant when the table is full. */
  private static readonly STEPS = 32;

  private assign(tenant: number, now: number): number {
    let i = -1;
    if (this.assigned < this.capacity - 2) {
      i = ++this.assigned;
    } else {
      for (let k = 0; k < TenantTable.STEPS; k++) {
        const h = this.hand;
        this.hand = h + 1 >= this.overflowIndex ? 1 : h + 1;
        if (now - this.lastUsed[h]! > this.reuseAfter) {
          this.index.delete(this.values[h]!);
          this.reclaimed++;
          i = h;
          break;
        }
      }
      if (i < 0) {
        this.overflow++;
        return this.overflowIndex;
      }
    }
    this.index.set(tenant, i);
    this.values[i] = tenant;
    return i;
  }

  /** The tenant of an index: 0 for none, -1 for the shared overflow index. */
  tenantAt(i: number): number {
    return i === this.overflowIndex ? -1 : this.values[i]!;
  }
}

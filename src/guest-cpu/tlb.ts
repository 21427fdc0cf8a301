/**
 * The software TLB: direct-mapped, indexed by linear page number, one half
 * for supervisor and one for user accesses (CpuState.mmuIdx). Separate tags
 * for read, write and execute say which accesses may use the entry without a
 * walk; `add` turns a linear address into a host-memory offset with one add.
 *
 * Like hardware, it is not coherent with page-table writes: entries stay until
 * INVLPG, a CR3 load, or another flush (SDM Vol. 3A 4.10.4). A Tlb is one
 * context (tagged by VPID/PCID/EPTP in VMX operation); the MMU keeps several.
 */
import { TLB_SIZE } from "./state";

export const TLB_MASK = TLB_SIZE - 1;

/** Permission bits for filling an entry. */
export const T_R = 1, T_W = 2, T_X = 4;

export class Tlb {
  readonly tagR = new Float64Array(2 * TLB_SIZE).fill(NaN);
  readonly tagW = new Float64Array(2 * TLB_SIZE).fill(NaN);
  readonly tagX = new Float64Array(2 * TLB_SIZE).fill(NaN);
  /** host offset = linear address + add[i] */
  readonly add = new Float64Array(2 * TLB_SIZE);
  /** Host-physical page base of the entry (to find entries for a page). */
  readonly hpage = new Float64Array(2 * TLB_SIZE).fill(NaN);
  /** Guest-physical page base (differs from hpage under EPT/NPT), for `tlb` in labs. */
  readonly gpage = new Float64Array(2 * TLB_SIZE).fill(NaN);
  readonly global = new Uint8Array(2 * TLB_SIZE);
  /** Entries filled since the last full flush (lets flushes skip empty TLBs). */
  live = 0;
  /** Context tag (SDM Vol. 3C 29.4.1): VPID, PCID and EP4TA (the EPTP's table address; -1 for linear mappings, no EPT/NPT). */
  vpid = 0;
  pcid = 0;
  ep4ta = -1;

  constructor(readonly tag: string) {}

  fill(idx: number, vpn: number, hpa: number, gpa: number, perm: number, global: boolean): void {
    const i = (vpn & TLB_MASK) + idx;
    const page = vpn * 4096;
    this.tagR[i] = perm & T_R ? vpn : NaN;
    this.tagW[i] = perm & T_W ? vpn : NaN;
    this.tagX[i] = perm & T_X ? vpn : NaN;
    this.add[i] = hpa - page;
    this.hpage[i] = hpa;
    this.gpage[i] = gpa;
    this.global[i] = global ? 1 : 0;
    this.live++;
  }

  private clear(i: number): void {
    this.tagR[i] = NaN; this.tagW[i] = NaN; this.tagX[i] = NaN; this.hpage[i] = NaN; this.gpage[i] = NaN;
  }

  flushAll(): void {
    if (this.live === 0) return;
    this.tagR.fill(NaN); this.tagW.fill(NaN); this.tagX.fill(NaN); this.hpage.fill(NaN); this.gpage.fill(NaN);
    this.live = 0;
  }

  /** Drops the user half (CPL 3 translations): alignment checking just became active (mmu.ts). */
  flushUser(): void {
    if (this.live === 0) return;
    for (let i = TLB_SIZE; i < 2 * TLB_SIZE; i++) this.clear(i);
  }

  /** MOV to CR3 without PCIDs: drop everything but global entries (SDM Vol. 3A 4.10.4.1). */
  flushNonGlobal(): void {
    if (this.live === 0) return;
    for (let i = 0; i < 2 * TLB_SIZE; i++) if (!this.global[i]) this.clear(i);
  }

  /** INVLPG: the entries for one linear page, global or not, in both halves. */
  flushPage(lin: number): void {
    if (this.live === 0) return;
    const vpn = Math.floor(lin / 4096);
    const i = vpn & TLB_MASK;
    if (this.tagR[i] === vpn || this.tagW[i] === vpn || this.tagX[i] === vpn) this.clear(i);
    const u = i + TLB_SIZE;
    if (this.tagR[u] === vpn || this.tagW[u] === vpn || this.tagX[u] === vpn) this.clear(u);
  }

  /** Looks an entry up without filling (labs, specs): host-physical address for `lin`, or null on a miss. */
  probe(lin: number, user: boolean, kind: typeof T_R | typeof T_W | typeof T_X): number | null {
    const vpn = Math.floor(lin / 4096);
    const i = (vpn & TLB_MASK) + (user ? TLB_SIZE : 0);
    const tag = kind === T_W ? this.tagW[i] : kind === T_X ? this.tagX[i] : this.tagR[i];
    return tag === vpn ? lin + this.add[i]! : null;
  }

  /** Drops the write permission of entries that map host page `hpage` (code was decoded from it). */
  protectPage(hpage: number): void {
    if (this.live === 0) return;
    for (let i = 0; i < 2 * TLB_SIZE; i++) if (this.hpage[i] === hpage) this.tagW[i] = NaN;
  }

  /** Drops every write permission (a snapshot started tracking all pages). */
  protectAll(): void {
    this.tagW.fill(NaN);
  }

  /** Valid entries for display: linear page, guest-physical and host-physical page, permissions. */
  entries(): { lin: number; gpa: number; hpa: number; r: boolean; w: boolean; x: boolean; user: boolean; global: boolean }[] {
    const out = [];
    for (let i = 0; i < 2 * TLB_SIZE; i++) {
      const tag = [this.tagR[i]!, this.tagW[i]!, this.tagX[i]!].find((t) => !Number.isNaN(t));
      if (tag === undefined) continue;
      out.push({
        lin: tag * 4096, gpa: this.gpage[i]!, hpa: this.hpage[i]!,
        r: !Number.isNaN(this.tagR[i]!), w: !Number.isNaN(this.tagW[i]!), x: !Number.isNaN(this.tagX[i]!),
        user: i >= TLB_SIZE, global: this.global[i] === 1,
      });
    }
    return out;
  }
}

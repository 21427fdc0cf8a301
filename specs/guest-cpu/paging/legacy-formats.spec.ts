/**
 * 32-bit paging (SDM Vol. 3A 4.3) and PAE paging (4.4) through the generic
 * walker: 4-KByte, 4-MByte (CR4.PSE) and 2-MByte pages, PSE-36 frames, A/D
 * updates, PDPTE registers loaded at MOV CR3 (#GP on reserved bits, stale
 * until reloaded), XD under EFER.NXE, #PF error codes and CR2.
 */
import { FORMAT_32BIT, FORMAT_PAE } from "../../../src/guest-cpu/paging-formats";
import { runSys, VEC } from "../support/system-machine";
import type { Cpu } from "../../../src/guest-cpu/cpu";

const PD32 = 0x100000, PT32 = 0x101000;

/** 32-bit tables: PDE 0 → PT identity-mapping 0–4 MiB; PDE 2 (0x800000) → a 4-MiB page at 0x400000. */
function tables32(cpu: Cpu, extra?: (w: (a: number, v: number) => void) => void): void {
  const w = (a: number, v: number) => cpu.mem.write(a, 4, BigInt(v >>> 0));
  w(PD32, PT32 | 3);
  for (let i = 0; i < 1024; i++) w(PT32 + i * 4, (i << 12) | 3);
  w(PD32 + 2 * 4, 0x400000 | 0x83);
  extra?.(w);
}

const enable32 = (cr4: number) => `
  mov eax, ${PD32}
  mov cr3, eax
  mov eax, ${cr4}
  mov cr4, eax
  mov eax, cr0
  or eax, 0x80000000
  mov cr0, eax`;

describe("32-bit paging", () => {
  it("maps 4-KByte pages through a page table and a 4-MByte page with CR4.PSE; sets A and D", () => {
    const r = runSys(`${enable32(0x10)}\nmov dword ptr [0x800010], 0x11223344\nmov ecx, [0x1000]`, {
      mode: "protected32",
      setup: (cpu) => tables32(cpu),
    });
    expect(r.faults).toEqual([]);
    expect(r.cpu.mem.read(0x400010, 4)).toBe(0x11223344n);
    const pde2 = Number(r.cpu.mem.read(PD32 + 8, 4));
    expect(pde2 & 0x60).toBe(0x60); // accessed and dirty in the 4-MByte PDE
    expect(Number(r.cpu.mem.read(PT32 + 4, 4)) & 0x60).toBe(0x20); // PTE for 0x1000: read → accessed only
  });

  it("without CR4.PSE the PS bit is ignored: the PDE points to a page table", () => {
    // With PSE = 0, PDE 2 is a table pointer to 0x400000; make entry 0 there map 0x800000 → 0x300000.
    const r = runSys(`${enable32(0)}\nmov dword ptr [0x300000], 0x55\nmov ebx, [0x800000]`, {
      mode: "protected32",
      setup: (cpu) => tables32(cpu, (w) => w(0x400000, 0x300000 | 3)),
    });
    expect(r.faults).toEqual([]);
    expect(r.reg("rbx")).toBe(0x55n);
  });

  it("a 4-MByte PDE with bit 21 set is a reserved-bit #PF (error code P | W | RSVD)", () => {
    const r = runSys(`${enable32(0x10)}\nmov dword ptr [0xc00000], 1`, {
      mode: "protected32",
      setup: (cpu) => tables32(cpu, (w) => w(PD32 + 3 * 4, 0x400000 | (1 << 21) | 0x83)),
    });
    expect(r.vector).toBe(VEC.PF);
    expect(r.faults).toEqual(["#PF(0xb)"]);
    expect(r.cpu.s.cr2).toBe(0xc00000);
  });

  it("PSE-36: PDE bits 20:13 are physical-address bits 39:32", () => {
    const pde = 0x0040_0083 | (0x12 << 13);
    expect(FORMAT_32BIT.frame(pde, 0, 0, true)).toBe(0x12_0040_0000);
  });

  it("a write to a read-only page faults at CPL 0 only with CR0.WP", () => {
    const ro = (cpu: Cpu) => tables32(cpu, (w) => w(PT32 + 0x200 * 4, 0x200000 | 1));
    const noWp = runSys(`${enable32(0)}\nmov dword ptr [0x200000], 1`, { mode: "protected32", setup: ro });
    expect(noWp.faults).toEqual([]);
    const wp = runSys(`${enable32(0)}\nmov eax, cr0\nbts eax, 16\nmov cr0, eax\nmov dword ptr [0x200000], 1`, { mode: "protected32", setup: ro });
    expect(wp.faults).toEqual(["#PF(0x3)"]);
  });
});

const PDPT = 0x102020, PD = 0x103000, PT = 0x104000;

/** PAE tables: PDPTE 0 → PD; PD 0 → PT identity 0–2 MiB; PD 4 (0x800000) → 2-MiB page at 0x600000; PDPTE 1 absent. */
function tablesPae(cpu: Cpu, extra?: (w: (a: number, v: bigint) => void) => void): void {
  const w = (a: number, v: bigint) => cpu.mem.write(a, 8, v);
  w(PDPT, BigInt(PD | 1));
  w(PD, BigInt(PT | 3));
  for (let i = 0; i < 512; i++) w(PT + i * 8, BigInt((i << 12) | 3));
  w(PD + 4 * 8, BigInt(0x600000 | 0x83));
  extra?.(w);
}

const enablePae = (nxe = false) => `
  ${nxe ? "mov ecx, 0xc0000080\nrdmsr\nbts eax, 11\nwrmsr" : ""}
  mov eax, ${PDPT}
  mov cr3, eax
  mov eax, 0x20
  mov cr4, eax
  mov eax, cr0
  or eax, 0x80000000
  mov cr0, eax`;

describe("PAE paging", () => {
  it("walks PDPTE → PD → PT for 4-KByte pages and maps 2-MByte pages; CR3 need only be 32-byte aligned", () => {
    const r = runSys(`${enablePae()}\nmov dword ptr [0x800040], 0x99`, {
      mode: "protected32",
      setup: (cpu) => tablesPae(cpu),
    });
    expect(r.faults).toEqual([]);
    expect(r.cpu.mem.read(0x600040, 4)).toBe(0x99n);
    expect(Number(r.cpu.mem.read(PD + 32, 8)) & 0x60).toBe(0x60);
  });

  it("an absent PDPTE makes the whole GiB not present (#PF with P = 0)", () => {
    const r = runSys(`${enablePae()}\nmov eax, [0x40000000]`, { mode: "protected32", setup: (cpu) => tablesPae(cpu) });
    expect(r.faults).toEqual(["#PF(0x0)"]);
    expect(r.cpu.s.cr2).toBe(0x40000000);
  });

  it("a present PDPTE with a reserved bit makes MOV CR3 (or enabling paging) #GP(0)", () => {
    const r = runSys(enablePae(), { mode: "protected32", setup: (cpu) => tablesPae(cpu, (w) => w(PDPT + 8, 0x105003n)) });
    expect(r.faults).toEqual(["#GP(0x0)"]);
  });

  it("the PDPTE registers are not re-read: a changed PDPTE takes effect at the next MOV CR3", () => {
    // PDPTE 1 → a PD whose entry 0 maps 0x40000000 → 0x600000 (2 MiB).
    const code = `${enablePae()}
      mov dword ptr [${PDPT + 8}], 0
      mov ebx, [0x40000000]
      mov eax, cr3
      mov cr3, eax
      mov ecx, [0x40000000]`;
    const r = runSys(code, {
      mode: "protected32",
      setup: (cpu) => tablesPae(cpu, (w) => {
        w(PDPT + 8, 0x105001n);
        w(0x105000, 0x600083n);
        w(0x600000, 0x77n);
      }),
    });
    // The first load uses the PDPTE register loaded before the change; after MOV CR3 the same load faults.
    expect(r.reg("rbx")).toBe(0x77n);
    expect(r.faults).toEqual(["#PF(0x0)"]);
    expect(r.cpu.s.cr2).toBe(0x40000000);
  });

  it("with EFER.NXE an XD page cannot be fetched from: #PF with I/D (0x11)", () => {
    const r = runSys(`${enablePae(true)}\nmov eax, 0x1ff000\njmp eax`, {
      mode: "protected32",
      setup: (cpu) => tablesPae(cpu, (w) => w(PT + 0x1ff * 8, (1n << 63n) | 0x1ff003n)),
    });
    expect(r.faults).toEqual(["#PF(0x11)"]);
    expect(r.cpu.s.cr2).toBe(0x1ff000);
  });

  it("without EFER.NXE the XD bit is reserved (#PF with RSVD)", () => {
    const r = runSys(`${enablePae()}\nmov eax, [0x1ff000]`, {
      mode: "protected32",
      setup: (cpu) => tablesPae(cpu, (w) => w(PT + 0x1ff * 8, (1n << 63n) | 0x1ff003n)),
    });
    expect(r.faults).toEqual(["#PF(0x9)"]);
  });

  it("formats: PAE 2-MByte frames keep bits 51:21", () => {
    expect(FORMAT_PAE.frame(0x0060_0083, 0x1, 0, true)).toBe(0x1_0060_0000);
  });
});

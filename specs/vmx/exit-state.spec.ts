/**
 * What a VM exit does besides the exit-information fields (SDM Vol. 3C
 * 28.3–28.6): guest state saved into the VMCS, host state loaded from it
 * (flat segments built from the host selectors, RFLAGS = 2, DR7 = 400H),
 * the VM-exit MSR-store and MSR-load areas, and IA32_EFER/IA32_PAT per the
 * VM-exit controls.
 */
import { AR, CS, DS, RSP, SS, TR } from "../../src/guest-cpu/registers";
import { HOST_CODE, HOST_STACK, rig } from "./rig";

describe("saving guest state and loading host state", () => {
  it("saves RIP, RSP, RFLAGS and CR0 as the guest left them and loads the host's", () => {
    const r = rig({ code: "mov rsp, 0x7000\nstd\ncpuid" });
    expect(r.launch(100).stop).toBe("exit");
    expect(r.get("GUEST_RIP")).toBe(0x10008n);
    expect(r.get("GUEST_RSP")).toBe(0x7000n);
    expect(r.get("GUEST_RFLAGS") & 0x400n).toBe(0x400n);
    const s = r.cpu.s;
    expect([s.rip, s.lo[RSP], s.rflags, s.dr[7]]).toEqual([HOST_CODE, HOST_STACK, 2, 0x400]);
    // 28.5.2: CS type 11, S, P, L (64-bit host), G; data segments type 3 with D/B and G; TR type 11, limit 67H.
    expect(s.segAr[CS]).toBe(0xb | AR.S | AR.P | AR.L | AR.G);
    expect([s.segSel[SS], s.segAr[DS]]).toEqual([0x10, 0x3 | AR.S | AR.P | AR.DB | AR.G]);
    expect([s.segSel[TR], s.segLimit[TR], s.segAr[TR]]).toEqual([0x20, 0x67, 0x8b]);
    expect(s.bits).toBe(64);
  });

  it("stores MSRs into the VM-exit MSR-store area and loads the VM-exit MSR-load area", () => {
    const r = rig({ code: "mov ecx, 0x174\nmov eax, 0x33\nxor edx, edx\nwrmsr\ncpuid" });
    r.controls("primary", ["use-msr-bitmaps"]);
    const store = 0x6_0000, load = 0x6_1000;
    r.cpu.mem.write(store, 4, 0x174n); // IA32_SYSENTER_CS as the guest left it
    r.cpu.mem.write(load, 4, 0xc000_0102n); // IA32_KERNEL_GS_BASE for the host
    r.cpu.mem.write(load + 8, 8, 0xffff_8000_0000_1000n);
    r.set("VM_EXIT_MSR_STORE_ADDR", store);
    r.set("VM_EXIT_MSR_STORE_COUNT", 1);
    r.set("VM_EXIT_MSR_LOAD_ADDR", load);
    r.set("VM_EXIT_MSR_LOAD_COUNT", 1);
    expect(r.launch(100).stop).toBe("exit");
    expect(r.engine.exits[0]!.reason).toBe("CPUID");
    expect(r.cpu.mem.read(store + 8, 8)).toBe(0x33n);
    expect(r.get("GUEST_SYSENTER_CS")).toBe(0x33n);
    expect(r.cpu.s.msrs.get(0xc000_0102)).toBe(0xffff_8000_0000_1000n);
  });

  it("saves IA32_EFER and IA32_PAT and loads the host's with the corresponding controls", () => {
    const r = rig({ code: "mov ecx, 0x277\nmov eax, 0x06060606\nmov edx, eax\nwrmsr\ncpuid" });
    r.controls("primary", ["use-msr-bitmaps"]);
    r.controls("exit", ["save-ia32-pat", "load-ia32-pat", "save-ia32-efer", "load-ia32-efer"]);
    r.set("HOST_IA32_PAT", 0x0007_0406_0007_0406n);
    expect(r.launch(100).stop).toBe("exit");
    expect(r.get("GUEST_IA32_PAT")).toBe(0x0606_0606_0606_0606n);
    expect(r.get("GUEST_IA32_EFER")).toBe(0x500n);
    expect(r.cpu.s.msrs.get(0x277)).toBe(0x0007_0406_0007_0406n);
  });

  it("TSC scaling multiplies by TSC_MULTIPLIER / 2^48 before adding TSC_OFFSET (26.3)", () => {
    const r = rig({ code: "rdtsc\nhlt" });
    r.controls("primary", ["use-tsc-offsetting"]);
    r.controls("secondary", ["use-tsc-scaling"]);
    r.set("TSC_MULTIPLIER", 0n); // every TSC value scales to 0
    r.set("TSC_OFFSET", 0x1234n);
    expect(r.launch(100).stop).toBe("hlt");
    expect(r.cpu.s.lo[0]).toBe(0x1234);
  });
});

describe("VMX abort (SDM Vol. 3C 28.8)", () => {
  it("a VM-exit MSR-load entry that cannot be loaded aborts: indicator 4 in the VMCS region, shutdown", () => {
    const r = rig({ code: "cpuid" });
    const load = 0x6_1000;
    r.cpu.mem.write(load, 4, 0xc000_0100n); // IA32_FS_BASE: not loadable from an MSR-load area
    r.set("VM_EXIT_MSR_LOAD_ADDR", load);
    r.set("VM_EXIT_MSR_LOAD_COUNT", 1);
    expect(r.launch(100).stop).toBe("exit");
    expect(r.vmcs.abortIndicator).toBe(4);
    expect(r.cpu.mem.read32(r.vmcs.address + 4)).toBe(4);
    expect(r.cpu.run(100).stop).toBe("shutdown");
    expect(r.engine.lastFailure!.id).toBe("vmx-abort-host-msr-load");
  });
});

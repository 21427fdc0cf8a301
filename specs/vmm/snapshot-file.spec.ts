import { decodeSnapshot, encodeSnapshot, type SnapshotHeader } from "../../src/vmm/snapshot/file";
import { saveCpuState } from "../../src/vmm/snapshot/cpu-state";
import { loadVmcs, saveVmcs } from "../../src/vmm/snapshot/vmx-state";
import { CpuState } from "../../src/guest-cpu/state";
import { HostMemory } from "../../src/memory/host-memory";
import { Vmcs } from "../../src/vmcs/vmcs";

function image() {
  const mem = new HostMemory(64 * 1024);
  mem.write(0x3000, 8, 0x1122334455667788n);
  mem.write(0xfff8, 8, 0xffn);
  const cpu = new CpuState(mem);
  cpu.rip = 0x10000;
  cpu.msrs.set(0xc0000080, 0x500n);
  const header: SnapshotHeader = {
    creator: "spec", label: "t", memorySize: mem.size, cpu: saveCpuState(cpu), vmx: null,
    devices: { uart: { console: "hi" } }, vm: { clock: 5 },
  };
  return { header, memory: mem.bytes };
}

describe('snapshot file "VMXLSNAP" v1', () => {
  it("round-trips header and memory, storing only non-zero pages", () => {
    const img = image();
    const bytes = encodeSnapshot(img);
    expect(Buffer.from(bytes.subarray(0, 8)).toString("latin1")).toBe("VMXLSNAP");
    expect(bytes.length).toBeLessThan(2000); // two non-zero pages of 16, deflated
    const back = decodeSnapshot(bytes);
    expect(back.header).toEqual(img.header);
    expect(Buffer.compare(Buffer.from(back.memory), Buffer.from(img.memory))).toBe(0);
  });

  it.each([
    ["a foreign file", (b: Uint8Array) => { b[0] = 0x41; }, /signature/],
    ["a newer version", (b: Uint8Array) => { b[8] = 2; }, /format version 2/],
    ["a truncated file", null, /truncated/],
  ])("rejects %s with an input error naming the file", (_what, damage, msg) => {
    let b = encodeSnapshot(image());
    if (damage) damage(b);
    else b = b.subarray(0, 40);
    expect(() => decodeSnapshot(b, "x.snap")).toThrow(msg);
    try {
      decodeSnapshot(b, "x.snap");
    } catch (e) {
      expect((e as { code: string }).code).toBe("invalid-input");
      expect(String((e as Error).message)).toMatch(/^x\.snap: /);
    }
  });

  it("a VMCS survives save/load with every field and its launch state", () => {
    const v = new Vmcs(0x5000, 1);
    v.write("GUEST_RIP", 0xffff_8000_0000_1234n);
    v.write("CPU_BASED_VM_EXEC_CONTROL", 0x8401e172n);
    v.launched = true;
    const w = loadVmcs(JSON.parse(JSON.stringify(saveVmcs(v))));
    expect(w.read("GUEST_RIP")).toBe(0xffff_8000_0000_1234n);
    expect(w.read("CPU_BASED_VM_EXEC_CONTROL")).toBe(0x8401e172n);
    expect(w.launched).toBe(true);
    expect(w.nonZero()).toEqual(v.nonZero());
  });
});

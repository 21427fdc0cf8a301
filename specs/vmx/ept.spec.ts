/**
 * EPT in VMX non-root operation: VM entry with "enable EPT" installs the
 * EPT of EPT_POINTER (tagged with the VPID), and failing guest-physical
 * accesses exit with EPT_VIOLATION (qualification of Table 28-7,
 * GUEST_PHYSICAL_ADDRESS, GUEST_LINEAR_ADDRESS) or EPT_MISCONFIG (SDM Vol.
 * 3C 29.3.3), the instruction not executed.
 */
import { EptBuilder, PageArena } from "../../src/ept/builder";
import { RAX, RSI } from "../../src/guest-cpu/registers";
import { GUEST_CODE, rig } from "./rig";

const DATA = 0x20_0000;

function eptRig(code: string, dataPerms: string) {
  const r = rig({ code: code + "\nhlt" });
  const ept = new EptBuilder(r.cpu.mem, new PageArena(r.cpu.mem, 0x30_0000, 0x40_0000));
  ept.identity(0x30_0000);
  ept.map({ from: DATA, size: 0x1000, perms: dataPerms, maxPage: 0x1000 });
  r.controls("secondary", ["enable-ept", "enable-vpid"]);
  r.set("EPT_POINTER", ept.eptp());
  r.set("VIRTUAL_PROCESSOR_ID", 1);
  r.cpu.s.lo[RSI] = DATA;
  r.cpu.s.lo[RAX] = 0x1234;
  return { r, ept };
}

describe("EPT violations and misconfigurations as VM exits (SDM Vol. 3C 29.3.3)", () => {
  it("a guest write to an EPT read-only page exits with reason 48, the Table 28-7 qualification and both addresses", () => {
    const { r } = eptRig("mov [rsi], rax", "r--");
    expect(r.launch(100).stop).toBe("exit");
    const e = r.engine.exits[0]!;
    expect(e.reason).toBe("EPT_VIOLATION");
    // write (1), readable (3), linear address valid (7), translation of a linear address (8),
    // advanced information: writable guest linear address (10); bit 11 (execute-disable) is 0 for this executable page.
    expect(e.qualification).toBe(BigInt((1 << 1) | (1 << 3) | (1 << 7) | (1 << 8) | (1 << 10)));
    expect(r.get("GUEST_PHYSICAL_ADDRESS")).toBe(BigInt(DATA));
    expect(r.get("GUEST_LINEAR_ADDRESS")).toBe(BigInt(DATA));
    expect(e.guestRip).toBe(BigInt(GUEST_CODE));
    expect(e.instructionLength).toBe(0);
    expect(r.cpu.mem.read(DATA, 8)).toBe(0n);
    // Back in root operation: no nested paging, host TLB context.
    expect(r.cpu.s.icpt).toBeNull();
    expect(r.cpu.mmu.tags.ep4ta).toBe(-1);
  });

  it("a read through a misconfigured entry exits with reason 49 and the guest-physical address", () => {
    const { r, ept } = eptRig("mov rax, [rsi]", "rw-");
    ept.setEntry(DATA, 3, BigInt(DATA) | 0x3an); // write-only is a misconfiguration
    expect(r.launch(100).stop).toBe("exit");
    const e = r.engine.exits[0]!;
    expect(e.reason).toBe("EPT_MISCONFIG");
    expect(e.qualification).toBe(0n);
    expect(r.get("GUEST_PHYSICAL_ADDRESS")).toBe(BigInt(DATA));
    expect(r.cpu.s.lo[RAX]).toBe(0x1234);
  });

  it("the guest runs to completion when the access is allowed, with its TLB context tagged by VPID and EP4TA", () => {
    const { r } = eptRig("mov [rsi], rax\nmov rbx, [rsi]", "rw-");
    let tags: unknown;
    r.cpu.s.icpt = null;
    const out = r.engine.enter(r.vmcs, true);
    expect(out.kind).toBe("entered");
    tags = r.cpu.mmu.tags;
    expect(r.cpu.run(100).stop).toBe("hlt");
    expect(tags).toMatchObject({ vpid: 1, ep4ta: 0x30_0000 });
    expect(r.cpu.mem.read(DATA, 8)).toBe(0x1234n);
  });
});

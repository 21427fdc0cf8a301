/**
 * VMFUNC in non-root operation (SDM Vol. 3C 26.5.6): function 0 (EPTP
 * switching) replaces EPT_POINTER with entry ECX of the EPTP list without a
 * VM exit; a function VM_FUNCTION_CONTROL does not enable exits with reason
 * 59; without "enable VM functions" VMFUNC is #UD.
 */
import { EptBuilder, PageArena } from "../../src/ept/builder";
import { RBX, RSI } from "../../src/guest-cpu/registers";
import { rig } from "./rig";

const DATA = 0x20_0000, OTHER = 0x28_0000, LIST = 0x7000;

function setUp(code: string) {
  const r = rig({ code: code + "\nhlt", unit: true });
  const mem = r.cpu.mem;
  const a = new EptBuilder(mem, new PageArena(mem, 0x30_0000, 0x38_0000));
  a.identity(0x30_0000);
  const b = new EptBuilder(mem, new PageArena(mem, 0x38_0000, 0x40_0000));
  b.identity(0x30_0000);
  b.map({ from: DATA, to: OTHER, size: 0x1000, maxPage: 0x1000 });
  mem.write(OTHER, 8, 0x55n);
  mem.write(LIST, 8, a.eptp());
  mem.write(LIST + 8, 8, b.eptp());
  r.controls("secondary", ["enable-ept", "enable-vm-functions"]);
  r.set("EPT_POINTER", a.eptp());
  r.set("VM_FUNCTION_CONTROL", 1);
  r.set("EPTP_LIST_ADDRESS", LIST);
  r.cpu.s.lo[RSI] = DATA;
  return { r, b };
}

describe("VMFUNC (SDM Vol. 3C 26.5.6)", () => {
  it("EPTP switching loads the list entry and the guest continues under the new EPT", () => {
    const { r, b } = setUp("mov eax, 0\nmov ecx, 1\nvmfunc\nmov rbx, [rsi]");
    expect(r.launch(100).stop).toBe("hlt");
    expect(r.engine.exits).toEqual([]);
    expect(r.cpu.s.lo[RBX]).toBe(0x55);
    expect(r.get("EPT_POINTER")).toBe(b.eptp());
    expect(r.get("EPTP_INDEX")).toBe(1n);
  });

  it("a function not enabled in VM_FUNCTION_CONTROL exits with reason 59", () => {
    const { r } = setUp("mov eax, 1\nvmfunc");
    expect(r.launch(100).stop).toBe("exit");
    expect(r.engine.exits[0]).toMatchObject({ reason: "VMFUNC", basicReason: 59, instructionLength: 3, guestRip: 0x10005n });
  });

  it("an EPTP list entry that is not a valid EPTP exits with reason 59", () => {
    const { r } = setUp("mov eax, 0\nmov ecx, 2\nvmfunc");
    expect(r.launch(100).stop).toBe("exit");
    expect(r.engine.exits[0]!.reason).toBe("VMFUNC");
  });

  it("is #UD without \"enable VM functions\"", () => {
    const { r } = setUp("vmfunc");
    r.controls("secondary", ["enable-ept"]);
    r.set("EXCEPTION_BITMAP", 1 << 6);
    expect(r.launch(100).stop).toBe("exit");
    expect(r.get("VM_EXIT_INTR_INFO")).toBe(BigInt((0x8000_0000 | (3 << 8) | 6) >>> 0));
  });
});

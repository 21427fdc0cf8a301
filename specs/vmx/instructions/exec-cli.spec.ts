import { join } from "node:path";
import { vmxlab } from "../../support/cli";

describe("vmxlab exec runs root-mode VMX code on the default profile", () => {
  it("VMXON succeeds, a second VMXON fails invalid (CF=1)", () => {
    const r = vmxlab(["exec", "--asm", join(__dirname, "fixtures", "vmxon-twice.s"), "--json"]);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { stopReason: string; regs: Record<string, string> };
    expect(out.stopReason).toBe("hlt");
    expect(out.regs.rax).toBe("0x4"); // IA32_VMX_BASIC[30:0]: revision identifier of the default profile
    expect(BigInt(out.regs.rbx!) & 0x41n).toBe(0x1n);
  });
});

import { vmxlab } from "../support/cli";

describe("vmxlab exec", () => {
  it("runs hex code to HLT and prints the JSON contract", () => {
    const r = vmxlab(["exec", "--hex", "b8 05 00 00 00 48 83 c0 03 f4", "--json"]);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.stopReason).toBe("hlt");
    expect(j.steps).toBe(3);
    expect(j.regs.rax).toBe("0x8");
    expect(j.regs.rsp).toBe("0x80000");
    expect(Object.keys(j.regs)).toEqual([
      "rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "rsp",
      "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15", "rip", "rflags",
    ]);
  });

  it("takes initial registers from --regs", () => {
    const r = vmxlab(["exec", "--hex", "48 01 d8 f4", "--regs", '{"rax":"0x10","rbx":32}', "--json"]);
    expect(JSON.parse(r.stdout).regs.rax).toBe("0x30");
  });

  it.each([
    [["exec", "--hex", "zz 01"], /--hex: 'zz' \(byte 1\) is not a hex byte/],
    [["exec", "--hex", "f4", "--regs", '{"rxx":1}'], /unknown register 'rxx'/],
    [["exec", "--hex", "f4", "--regs", "{"], /--regs: not valid JSON/],
    [["exec"], /exactly one of --hex, --file or --asm/],
    [["exec", "--hex", "f4", "--mode", "long32"], /Invalid values/],
    [["exec", "--hex", "f4", "--max-steps", "lots"], /--max-steps: 'lots' is not a number/],
  ])("rejects bad input %j with exit code 2", (args, message) => {
    const r = vmxlab(args as string[]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(r.stdout).toBe("");
  });

  it("stops at the step limit", () => {
    const r = vmxlab(["exec", "--hex", "eb fe", "--max-steps", "100", "--json"]);
    expect(JSON.parse(r.stdout)).toMatchObject({ stopReason: "step-limit", steps: 100 });
  });

  it("ends in a shutdown when an exception has no IDT to go to (triple fault)", () => {
    const r = vmxlab(["exec", "--hex", "0f 0b", "--json"]);
    const j = JSON.parse(r.stdout);
    expect(j.stopReason).toBe("shutdown");
    expect(j.faults[0]).toEqual({ vector: "#UD", rip: "0x10000" });
  });
});

describe("vmxlab --help and --version", () => {
  it("explains every command", () => {
    const r = vmxlab(["--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/exec\s+Run raw machine code/);
    expect(r.stdout).toMatch(/disasm/);
  });

  it("prints the package version", () => {
    expect(vmxlab(["--version"]).stdout.trim()).toBe(require("../../package.json").version);
  });

  it("rejects an unknown command with exit code 2", () => {
    expect(vmxlab(["frobnicate"]).code).toBe(2);
  });
});

describe("vmxlab disasm", () => {
  it("prints addresses, bytes and Intel syntax", () => {
    const r = vmxlab(["disasm", "--hex", "48 01 d8 0f 01 c2 f4"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      "00010000  48 01 d8                       add rax, rbx\n" +
        "00010003  0f 01 c2                       vmlaunch\n" +
        "00010006  f4                             hlt\n",
    );
  });
});

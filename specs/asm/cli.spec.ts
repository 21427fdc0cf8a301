/** `vmxlab asm`, `vmxlab exec --asm` and `vmxlab disasm` through the built binary, as a user runs them. */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { assemble } from "../../src/asm/assemble";
import { ROOT, vmxlab } from "../support/cli";

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "vmxlab-asm-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const example = (name: string): string => join(ROOT, "examples", name);
const write = (name: string, text: string): string => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};

describe("vmxlab asm", () => {
  it("writes the binary the assembler produces", () => {
    const out = join(dir, "fib.bin");
    const r = vmxlab(["asm", example("fib.s"), "-o", out]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/fib\.bin: \d+ bytes at 0x10000/);
    const expected = assemble(readFileSync(example("fib.s"), "utf8"), { bits: 64, org: 0x10000 }).bytes;
    expect(Buffer.from(readFileSync(out)).equals(Buffer.from(expected))).toBe(true);
  });

  it("names the output after the source by default", () => {
    const src = write("tiny.s", "nop\nhlt\n");
    expect(vmxlab(["asm", src]).code).toBe(0);
    expect(Array.from(readFileSync(join(dir, "tiny.bin")))).toEqual([0x90, 0xf4]);
  });

  it("prints a listing with --list: address, bytes, source line", () => {
    const r = vmxlab(["asm", example("hello.s"), "-o", join(dir, "hello.bin"), "--list"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("00010000  b9 0a 00 00 00                 start:  mov ecx, 10             ; counter");
    expect(r.stdout).toContain("00010007  48 01 c8                       .next:  add rax, rcx");
    expect(r.stdout).toMatch(/^\s+; hello\.s/m);
  });

  it("takes the code size from --mode and the first address from --org", () => {
    const src = write("boot.s", "start: jmp start\ndw start\n");
    const out = join(dir, "boot.bin");
    expect(vmxlab(["asm", src, "-o", out, "--mode", "real16", "--org", "0x7c00"]).code).toBe(0);
    expect(Array.from(readFileSync(out))).toEqual([0xeb, 0xfe, 0x00, 0x7c]);
  });

  it.each([
    ["an assembly error", "nop\n  mov raxx, 1\n", /^vmxlab: .*bad\.s:2:7: unknown register 'raxx'; did you mean 'rax'\?\n$/],
    ["an undefined label", "jmp nowhere\n", /bad\.s:1:5: label 'nowhere' not defined/],
  ])("rejects %s with exit code 2, file:line:col and no output file", (_what, text, message) => {
    const src = write("bad.s", text);
    const out = join(dir, "bad.bin");
    const r = vmxlab(["asm", src, "-o", out]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(existsSync(out)).toBe(false);
  });

  it("rejects a missing file with exit code 2", () => {
    const r = vmxlab(["asm", join(dir, "missing.s")]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/cannot read '.*missing\.s'/);
  });
});

describe("vmxlab exec --asm", () => {
  it.each([
    ["hello.s", { rax: "0x37" }],
    ["fib.s", { rax: "0x1055", rbx: "0x2ac1" }],
    ["strings.s", { rbx: "0x3", rcx: "0xd" }],
  ])("runs examples/%s to HLT", (file, regs) => {
    const r = vmxlab(["exec", "--asm", example(file), "--json"]);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.stopReason).toBe("hlt");
    expect(j.regs).toMatchObject(regs);
  });

  it("assembles for the load address", () => {
    const src = write("where.s", "start: mov rax, start\nhlt\n");
    const r = vmxlab(["exec", "--asm", src, "--load", "0x20000", "--json"]);
    expect(JSON.parse(r.stdout).regs.rax).toBe("0x20000");
  });

  it("takes the code size from --mode, and a bits directive wins", () => {
    const src = write("m.s", "mov eax, 0x12345678\nhlt\n");
    expect(JSON.parse(vmxlab(["exec", "--asm", src, "--mode", "protected32", "--json"]).stdout).regs.rax).toBe("0x12345678");
    const src16 = write("m16.s", "bits 16\nmov ax, 0x1234\nhlt\n");
    expect(JSON.parse(vmxlab(["exec", "--asm", src16, "--mode", "real16", "--json"]).stdout).regs.rax).toBe("0x1234");
  });

  it("rejects bad source with exit code 2 and its location", () => {
    const src = write("bad-exec.s", "mov eax, 1\nmovx\n");
    const r = vmxlab(["exec", "--asm", src]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/bad-exec\.s:2:1: unknown instruction 'movx'/);
    expect(r.stdout).toBe("");
  });

  it("rejects an org that is not where the code is loaded", () => {
    const src = write("org.s", "org 0x7c00\nhlt\n");
    const r = vmxlab(["exec", "--asm", src]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/sets org 0x7c00 but the code runs at 0x10000/);
  });
});

describe("vmxlab disasm reads back into vmxlab asm", () => {
  const CODE = [
    "start: mov rcx, 10",
    ".l: dec rcx",
    "jnz .l",
    "jmp near start",
    "lea rax, [rel start]",
    "mov qword [rax + rbx*8 + 0x40], -1",
    "vmxon [rax]",
    "vmwrite rbx, rax",
    "vmlaunch",
    "lock xadd [rdi], eax",
    "rep movsb",
    "call start",
    "hlt",
  ].join("\n");

  it.each([
    ["examples/hello.s", () => example("hello.s")],
    ["a code-only program", () => write("code.s", CODE)],
  ])("%s: asm → disasm → asm gives the same bytes", (_name, source) => {
    const bin = join(dir, "rt.bin");
    expect(vmxlab(["asm", source(), "-o", bin]).code).toBe(0);
    const d = vmxlab(["disasm", bin]);
    expect(d.code).toBe(0);
    // disasm prints "address  bytes  text"; the text starts after the bytes column.
    const text = d.stdout
      .split("\n")
      .filter((l) => l)
      .map((l) => l.slice(41));
    const again = write("rt.s", text.join("\n") + "\n");
    const bin2 = join(dir, "rt2.bin");
    expect(vmxlab(["asm", again, "-o", bin2]).code).toBe(0);
    expect(readFileSync(bin2).equals(readFileSync(bin))).toBe(true);
  });
});

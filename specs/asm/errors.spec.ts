/**
 * Every assembly error is an input error that names the problem and points at
 * the line and column of the offending token (1-based, as editors count).
 */
import { assemble } from "../../src/asm/assemble";
import { VmxlabError } from "../../src/common/errors";

function errorOf(source: string, o: { bits?: 16 | 32 | 64; file?: string; lineOffset?: number; colOffset?: number } = {}): VmxlabError {
  try {
    assemble(source, { file: "t.s", ...o });
  } catch (e) {
    if (e instanceof VmxlabError) return e;
    throw e;
  }
  throw new Error(`no error for ${JSON.stringify(source)}`);
}

describe("assembly errors name the problem at line:col", () => {
  it.each([
    // [class, source, "line:col: message"]
    ["unknown instruction", "nop\nmovx eax, 1", "2:1: unknown instruction 'movx'; did you mean 'mov'?"],
    ["unknown register", "nop\nnop\nnop\n    mov raxx, 1", "4:9: unknown register 'raxx'; did you mean 'rax'?"],
    ["unknown register in an address", "mov eax, [rbxx + 4]", "1:11: unknown register 'rbxx'; did you mean 'rbx'?"],
    ["undefined label", "jmp loop", "1:5: label 'loop' not defined"],
    ["misspelt label", "jmp lopp\nloop: nop", "1:5: label 'lopp' not defined; did you mean 'loop'?"],
    ["undefined local label", "a: jmp .next", "1:8: label 'a.next' not defined"],
    ["operand size mismatch (registers)", "mov rax, ebx", "1:10: operand size mismatch"],
    ["operand size mismatch (memory)", "mov byte [rax], ebx", "1:17: operand size mismatch"],
    ["operand size not specified", "mov [rax], 5", "1:5: operand size not specified: write byte, word, dword or qword before the memory operand"],
    ["invalid operand combination", "vmxon rax", "1:1: invalid combination of operands for 'vmxon': it takes m64"],
    ["wrong operand count", "hlt rax", "1:1: 'hlt' takes no operands, not 1"],
    ["immediate out of range", "mov al, 300", "1:9: value 0x12c does not fit in 8 bits"],
    ["sign-extended immediate out of range", "add rax, 0x80000000", "1:10: value 0x80000000 does not fit in 32 bits"],
    ["data out of range", "db 1, 256", "1:7: value 0x100 does not fit in db"],
    ["short jump out of range", "loop t\ntimes 300 nop\nt: hlt", "1:1: jump target out of range (298 bytes away)"],
    ["duplicate label", "x: nop\nx: nop", "2:1: 'x' is already defined on line 1"],
    ["bad number", "mov eax, 0x1g", "1:10: invalid number '0x1g'"],
    ["floating point", "dd 1.5", "1:4: floating-point constants are not supported ('1.5')"],
    ["unterminated string", "db 'abc", "1:4: unterminated string (missing closing ')"],
    ["unexpected character", "mov eax, 1 \\", "1:12: unexpected character '\\'"],
    ["unclosed memory operand", "mov eax, [rax", "1:14: expected ']' to close the memory operand"],
    ["division by zero", "mov eax, 1/0", "1:11: division by zero"],
    ["bad scale", "mov eax, [rax*3]", "1:15: index scale must be 1, 2, 4 or 8, not 3"],
    ["bad effective address", "mov eax, [rbx-rcx]", "1:15: invalid effective address: register 'rcx' cannot be subtracted"],
    ["mixed address sizes", "mov eax, [eax+rbx]", "1:10: base and index registers must have the same size"],
    ["register in an expression", "mov eax, rax+1", "1:10: register 'rax' cannot be used in an expression"],
    ["prefix not allowed", "rep add eax, 1", "1:1: 'rep' cannot be used with 'add'"],
    ["lock without memory", "lock add eax, ebx", "1:1: 'lock' cannot be used with 'add' without a memory destination"],
    ["64-bit register outside 64-bit code", "bits 32\nmov rax, 1", "2:5: register 'rax' is only available in 64-bit code"],
    ["rip-relative outside 64-bit code", "bits 32\nmov eax, [rel x]\nx:", "2:10: rip-relative addressing needs 64-bit code"],
    ["far pointer in 64-bit code", "jmp 0x8:0x1000", "1:5: a far jump or call to an immediate selector:offset is not available in 64-bit code; use 'jmp far [mem]'"],
    ["instruction not in the mode", "bits 32\nswapgs", "2:1: 'swapgs' is not available in 32-bit code"],
    ["REX with ah", "mov ah, r8b", "1:1: ah, bh, ch and dh cannot be used together with spl, bpl, sil, dil, r8b-r15b or 64-bit operands (REX prefix)"],
    ["bad bits", "bits 17", "1:6: 'bits' takes 16, 32 or 64"],
    ["circular equ", "a equ b\nb equ a\nmov eax, a", "1:1: 'a' is defined in terms of itself"],
    ["negative times", "times -1 nop", "1:7: 'times' count is negative (-1)"],
    ["bad alignment", "align 3", "1:7: alignment must be a power of two, not 3"],
    ["late org", "nop\norg 0x100", "2:1: 'org' must come before any code or data"],
    ["register as label", "rax: nop", "1:1: 'rax' is a register and cannot be a label"],
    ["junk after a directive", "bits 64 32", "1:9: unexpected '32' at the end of the statement"],
  ])("%s", (_class, source, expected) => {
    const e = errorOf(source);
    expect(e.code).toBe("invalid-input");
    expect(e.toString()).toBe(`t.s:${expected}`);
  });

  it("reports the first syntax error, else the first error in source order", () => {
    expect(errorOf("mov eax, 1\njmp nowhere\nmovx").toString()).toBe("t.s:3:1: unknown instruction 'movx'; did you mean 'mov'?");
    expect(errorOf("jmp nowhere\nmov al, 300").toString()).toBe("t.s:1:5: label 'nowhere' not defined");
  });

  it("points into the file that embeds the source (a YAML block scalar)", () => {
    // code: |   on line 7 of lab.yaml, the block indented by 4 columns
    const e = errorOf("mov eax, 1\nmov raxx, 2", { file: "lab.yaml", lineOffset: 7, colOffset: 4 });
    expect(e.location).toEqual({ file: "lab.yaml", line: 9, col: 9 });
    expect(e.toString()).toBe("lab.yaml:9:9: unknown register 'raxx'; did you mean 'rax'?");
  });

  it("is never a JavaScript exception for any line of a garbage file", () => {
    const garbage = ["mov", "mov ,", "[", "]", "db", "times", "times 2", "equ 5", "x equ", "align", "org", "mov eax, [", "jmp short", "fadd to", "(((", "1:", "'"];
    for (const g of garbage) expect(errorOf(g)).toBeInstanceOf(VmxlabError);
  });
});

/**
 * The assembler's source language: numbers, expressions, labels, directives,
 * memory operands, operand sizes. Expected bytes are worked out by hand from
 * the SDM's encoding tables (Vol. 2 chapter 2 and the instruction pages).
 */
import { assemble, AsmOptions } from "../../src/asm/assemble";

const hex = (src: string, o: AsmOptions = {}): string =>
  Array.from(assemble(src, { org: 0x10000, ...o }).bytes, (b) => b.toString(16).padStart(2, "0")).join(" ");

describe("numbers and character constants", () => {
  it.each([
    ["mov eax, 4660", "b8 34 12 00 00"],
    ["mov eax, 0x1234", "b8 34 12 00 00"],
    ["mov eax, 0X1234", "b8 34 12 00 00"],
    ["mov eax, 1234h", "b8 34 12 00 00"],
    ["mov eax, 0ffh", "b8 ff 00 00 00"],
    ["mov eax, 0b1001000110100", "b8 34 12 00 00"],
    ["mov eax, 1001000110100b", "b8 34 12 00 00"],
    ["mov eax, 0o11064", "b8 34 12 00 00"],
    ["mov eax, 0x12_34", "b8 34 12 00 00"],
    ["mov eax, 'A'", "b8 41 00 00 00"],
    ['mov eax, "AB"', "b8 41 42 00 00"],
    ["mov eax, -1", "b8 ff ff ff ff"],
  ])("%s", (src, bytes) => expect(hex(src)).toBe(bytes));
});

describe("expressions (NASM precedence)", () => {
  it.each([
    ["1 + 2 * 3", 7],
    ["(1 + 2) * 3", 9],
    ["1 << 4 | 3", 0x13],
    ["0xff & ~0x0f", 0xf0],
    ["0x0f ^ 0xff", 0xf0],
    ["100 / 7", 14],
    ["100 % 7", 2],
    ["-7 // 2", -3],
    ["-7 %% 2", -1],
    ["-(2 - 5)", 3],
    ["!0 + !5", 1],
    ["0x100 >> 4", 0x10],
  ])("dd %s", (e, v) => {
    const u = BigInt.asUintN(32, BigInt(v));
    const le = [0, 1, 2, 3].map((i) => Number((u >> BigInt(8 * i)) & 0xffn).toString(16).padStart(2, "0")).join(" ");
    expect(hex(`dd ${e}`)).toBe(le);
  });
});

describe("labels, $ and $$", () => {
  it("resolves backward and forward labels", () => {
    // jmp to itself: EB FE; forward short jump over one NOP: EB 01.
    expect(hex("back: jmp back\njmp fwd\nnop\nfwd: hlt")).toBe("eb fe eb 01 90 f4");
  });

  it("scopes .local labels to the global label before them", () => {
    const r = assemble("a: nop\n.x: jmp .x\nb: nop\n.x: jmp .x\njmp a.x", { org: 0x1000 });
    expect([...r.labels]).toEqual([
      ["a", 0x1000],
      ["a.x", 0x1001],
      ["b", 0x1003],
      ["b.x", 0x1004],
    ]);
    expect(Array.from(r.bytes.slice(6))).toEqual([0xeb, 0xf9]); // jmp a.x from 0x1006: 0x1001 - 0x1008
  });

  it("gives labels org-relative addresses, $ the start of the line and $$ of the section", () => {
    expect(hex("org 0x7c00\nstart: dw start, $, $$\ndw $ - start", { org: 0 })).toBe("00 7c 00 7c 00 7c 06 00");
  });

  it("accepts a label without a colon before data, times and equ", () => {
    const r = assemble("msg db 'hi'\nbuf times 2 db 0\nN equ 3\ndb N", { org: 0 });
    expect(r.labels.get("msg")).toBe(0);
    expect(r.labels.get("buf")).toBe(2);
    expect(Array.from(r.bytes)).toEqual([0x68, 0x69, 0, 0, 3]);
  });

  it("lets equ use labels and later equ names", () => {
    expect(hex("mov eax, LEN\nstr: db 'abc'\nLEN equ END - str\nEND equ $", { org: 0 })).toBe("b8 03 00 00 00 61 62 63");
  });
});

describe("data directives", () => {
  it.each([
    ["db 1, 2, 0xff, -1", "01 02 ff ff"],
    ['db "hi", 0', "68 69 00"],
    ["db `a\\n\\x41`", "61 0a 41"],
    ["dw 0x1234, 'ab'", "34 12 61 62"],
    ['dw "abc"', "61 62 63 00"],
    ["dd 0x12345678", "78 56 34 12"],
    ["dq 0x1122334455667788", "88 77 66 55 44 33 22 11"],
    ["dq -2", "fe ff ff ff ff ff ff ff"],
    ["resb 3", "00 00 00"],
    ["resw 1", "00 00"],
    ["times 3 db 0xaa", "aa aa aa"],
    ["times 2 dw 1, 2", "01 00 02 00 01 00 02 00"],
    ["times 3 nop", "90 90 90"],
    ["times 0 db 1", ""],
    ["nop\nalign 4\nhlt", "90 90 90 90 f4"],
    ["nop\nalign 4, db 0\nhlt", "90 00 00 00 f4"],
    ["align 8\nhlt", "f4"],
  ])("%s", (src, bytes) => expect(hex(src, { org: 0 })).toBe(bytes));

  it("pads a boot sector with times 510-($-$$)", () => {
    const r = assemble("bits 16\norg 0x7c00\njmp $\ntimes 510-($-$$) db 0\ndw 0xaa55", {});
    expect(r.bytes.length).toBe(512);
    expect(Array.from(r.bytes.slice(0, 2))).toEqual([0xeb, 0xfe]);
    expect(Array.from(r.bytes.slice(510))).toEqual([0x55, 0xaa]);
  });
});

describe("branches choose short or near forms", () => {
  const gap = (n: number): string => `jmp target\ntimes ${n} nop\ntarget: hlt`;
  it.each([
    [127, "eb 7f"],
    [128, "e9 80 00 00 00"],
  ])("jmp over %i bytes", (n, bytes) => expect(hex(gap(n)).startsWith(bytes)).toBe(true));

  it("backward: -128 is short, -129 near", () => {
    expect(hex("t: times 126 nop\njmp t").slice(-5)).toBe("eb 80");
    expect(hex("t: times 127 nop\njmp t").slice(-14)).toBe("e9 7c ff ff ff");
  });

  it("conditional jumps: 7x rel8 or 0F 8x rel32", () => {
    expect(hex("je t\nt: hlt")).toBe("74 00 f4");
    expect(hex("jz t\ntimes 200 nop\nt: hlt").slice(0, 17)).toBe("0f 84 c8 00 00 00");
  });

  it("honours short and near", () => {
    expect(hex("jmp near t\nt: hlt")).toBe("e9 00 00 00 00 f4");
    expect(hex("jmp short t\nt: hlt")).toBe("eb 00 f4");
  });

  it("a number is an absolute target", () => {
    expect(hex("jmp 0x10000")).toBe("eb fe");
    expect(hex("call 0x10000")).toBe("e8 fb ff ff ff");
  });

  it("settles when branch sizes depend on each other", () => {
    // The second jump's size moves `b`, which decides the first jump's size.
    const r = assemble("a: jmp b\ntimes 124 nop\njmp a\nb: hlt", { org: 0 });
    expect(r.labels.get("b")).toBe(2 + 124 + 2);
    expect(Array.from(r.bytes.slice(0, 2))).toEqual([0xeb, 0x7e]);
  });

  it("far jumps: ptr16:16 and ptr16:32, and through memory", () => {
    expect(hex("bits 16\njmp 0x08:0x1234")).toBe("ea 34 12 08 00");
    expect(hex("bits 32\njmp 0x08:t\nt: hlt", { org: 0x1000 })).toBe("ea 07 10 00 00 08 00 f4");
    expect(hex("jmp far [rax]")).toBe("ff 28");
    expect(hex("jmp qword far [rax]")).toBe("48 ff 28");
    expect(hex("call far [rbx]")).toBe("ff 1b");
    expect(hex("jmp fword ptr [rax]")).toBe("ff 28");
  });
});

describe("memory operands", () => {
  it.each([
    ["mov eax, [rbx]", "8b 03"],
    ["mov eax, [rbx + 8]", "8b 43 08"],
    ["mov eax, [rbx - 8]", "8b 43 f8"],
    ["mov eax, [rbx + 0x100]", "8b 83 00 01 00 00"],
    ["mov eax, [rbx + rcx*4]", "8b 04 8b"],
    ["mov eax, [rcx*4 + rbx + 16]", "8b 44 8b 10"],
    ["mov eax, [4*rcx]", "8b 04 8d 00 00 00 00"],
    ["mov eax, [rbp]", "8b 45 00"],
    ["mov eax, [rsp]", "8b 04 24"],
    ["mov eax, [r12]", "41 8b 04 24"],
    ["mov eax, [r13]", "41 8b 45 00"],
    ["mov eax, [rax + rsp]", "8b 04 04"],
    ["mov eax, [0x1000]", "8b 04 25 00 10 00 00"],
    ["mov eax, [ebx]", "67 8b 03"],
    ["mov rax, [fs:0x28]", "64 48 8b 04 25 28 00 00 00"],
    ["mov rax, fs:[0x28]", "64 48 8b 04 25 28 00 00 00"],
    ["mov rax, qword ptr fs:[0x28]", "64 48 8b 04 25 28 00 00 00"],
    ["mov rax, [gs:rbx]", "65 48 8b 03"],
    ["mov eax, DWORD PTR [RBX]", "8b 03"],
    ["lea rax, [rip + 0x10]", "48 8d 05 10 00 00 00"],
  ])("%s", (src, bytes) => expect(hex(src)).toBe(bytes));

  it.each([
    // disp32 = target - address of the next instruction (0x10007)
    ["lea rax, [rel t]\nt: hlt", "48 8d 05 00 00 00 00 f4"],
    ["lea rax, [rip + t]\nt: hlt", "48 8d 05 00 00 00 00 f4"],
    ["mov rax, [rel 0x10000]", "48 8b 05 f9 ff ff ff"],
    ["default rel\nmov rax, [t]\nt: hlt", "48 8b 05 00 00 00 00 f4"],
    ["mov eax, [rbx + t]\nt: hlt", "8b 83 06 00 01 00 f4"],
  ])("rip-relative and label displacements: %s", (src, bytes) => expect(hex(src)).toBe(bytes));

  it("16-bit addressing", () => {
    expect(hex("bits 16\nmov ax, [bx + si]\nmov al, [bp + 2]\nmov [0x1234], ax\nmov ax, [es:di]")).toBe(
      "8b 00 8a 46 02 a3 34 12 26 8b 05",
    );
  });
});

describe("operand size", () => {
  it.each([
    ["mov byte [rax], 5", "c6 00 05"],
    ["mov word [rax], 5", "66 c7 00 05 00"],
    ["mov dword [rax], 5", "c7 00 05 00 00 00"],
    ["mov qword [rax], 5", "48 c7 00 05 00 00 00"],
    ["mov qword ptr [rax], 5", "48 c7 00 05 00 00 00"],
    ["add rax, 1", "48 83 c0 01"],
    ["add eax, 0x1000", "05 00 10 00 00"],
    ["add al, 1", "04 01"],
    ["mov rax, 1", "48 c7 c0 01 00 00 00"],
    ["mov rax, 0x1122334455", "48 b8 55 44 33 22 11 00 00 00"],
    ["mov rax, 0xffffffff", "48 b8 ff ff ff ff 00 00 00 00"],
    ["movabs rax, 1", "48 c7 c0 01 00 00 00"],
    ["push 1", "6a 01"],
    ["push 0x1000", "68 00 10 00 00"],
    ["push word 1", "66 6a 01"],
    ["push [rax]", "ff 30"],
    ["push qword [rax]", "ff 30"],
    ["pop [rax]", "8f 00"],
    ["call [rax]", "ff 10"],
    ["movzx eax, byte [rax]", "0f b6 00"],
    ["movzx eax, word [rax]", "0f b7 00"],
    ["shl eax, 1", "d1 e0"],
    ["shl eax, 4", "c1 e0 04"],
    ["sal eax, 4", "c1 e0 04"],
    ["imul ecx, 10", "6b c9 0a"],
    ["xchg eax, eax", "87 c0"],
    ["xchg ecx, eax", "91"],
    ["xchg eax, ecx", "91"],
    ["test eax, [rbx]", "85 03"],
    ["pushf", "9c"],
    ["iret", "cf"],
    ["iretq", "48 cf"],
    ["int 3", "cd 03"],
    ["int3", "cc"],
  ])("%s", (src, bytes) => expect(hex(src)).toBe(bytes));

  it("in 32-bit code", () => {
    expect(hex("bits 32\npush 1\npush eax\npush ds\npushf\npusha\nmov eax, [0x1000]\ninc eax")).toBe("6a 01 50 1e 9c 60 a1 00 10 00 00 40");
  });

  it("in 16-bit code", () => {
    expect(hex("bits 16\nmov eax, 1\nmov ax, 1\npush 1\niret\nmov cr0, eax")).toBe("66 b8 01 00 00 00 b8 01 00 6a 01 cf 0f 22 c0");
  });
});

describe("prefixes", () => {
  it.each([
    ["rep movsb", "f3 a4"],
    ["rep stosq", "f3 48 ab"],
    ["repe cmpsb", "f3 a6"],
    ["repz cmpsb", "f3 a6"],
    ["repne scasb", "f2 ae"],
    ["lock add [rax], ecx", "f0 01 08"],
    ["lock cmpxchg [rdi], rcx", "f0 48 0f b1 0f"],
    ["o16 push 1", "66 6a 01"],
    ["a32 loop $", "67 e2 fd"],
    ["movsb byte ptr [rdi], byte ptr fs:[rsi]", "64 a4"],
  ])("%s", (src, bytes) => expect(hex(src)).toBe(bytes));
});

describe("registers of every kind", () => {
  it.each([
    ["mov ah, bl", "88 dc"],
    ["mov sil, 1", "40 b6 01"],
    ["mov r8b, 1", "41 b0 01"],
    ["mov r8l, 1", "41 b0 01"],
    ["mov r9w, ax", "66 41 89 c1"],
    ["mov r10d, eax", "41 89 c2"],
    ["mov ds, ax", "8e d8"],
    ["mov ax, ss", "66 8c d0"],
    ["mov cr3, rax", "0f 22 d8"],
    ["mov rax, cr4", "0f 20 e0"],
    ["mov cr8, rax", "44 0f 22 c0"],
    ["mov dr7, rbx", "0f 23 fb"],
    ["movq xmm1, rax", "66 48 0f 6e c8"],
    ["fld st1", "d9 c1"],
    ["fld st(1)", "d9 c1"],
    ["fadd st0, st2", "d8 c2"],
    ["fadd to st2", "dc c2"],
    ["fxch", "d9 c9"],
  ])("%s", (src, bytes) => expect(hex(src)).toBe(bytes));
});

describe("VMX and SVM instructions (SDM Vol. 3C chapter 31, AMD APM Vol. 3)", () => {
  it.each([
    ["vmxon [rax]", "f3 0f c7 30"],
    ["vmxon qword ptr [rel t]\nt:", "f3 0f c7 35 00 00 00 00"],
    ["vmclear [rax]", "66 0f c7 30"],
    ["vmptrld [rax]", "0f c7 30"],
    ["vmptrst [rax]", "0f c7 38"],
    ["vmread rax, rbx", "0f 78 d8"],
    ["vmread [rax], rbx", "0f 78 18"],
    ["vmwrite rbx, rax", "0f 79 d8"],
    ["vmwrite rbx, [rax]", "0f 79 18"],
    ["vmlaunch", "0f 01 c2"],
    ["vmresume", "0f 01 c3"],
    ["vmxoff", "0f 01 c4"],
    ["vmcall", "0f 01 c1"],
    ["vmfunc", "0f 01 d4"],
    ["invept rax, [rbx]", "66 0f 38 80 03"],
    ["invvpid rcx, [rdx]", "66 0f 38 81 0a"],
    ["vmrun", "0f 01 d8"],
    ["vmrun rax", "0f 01 d8"],
    ["vmmcall", "0f 01 d9"],
    ["vmload", "0f 01 da"],
    ["vmsave", "0f 01 db"],
    ["stgi", "0f 01 dc"],
    ["clgi", "0f 01 dd"],
  ])("%s", (src, bytes) => expect(hex(src)).toBe(bytes));

  it("in 32-bit code", () => {
    expect(hex("bits 32\nvmread eax, ebx\nvmwrite ebx, [ecx]\ninvept eax, [ebx]\nvmrun")).toBe("0f 78 d8 0f 79 19 66 0f 38 80 03 0f 01 d8");
  });
});

describe("comments, case and layout", () => {
  it("ignores ; and # comments and blank lines, and reads mnemonics in any case", () => {
    expect(hex("; a comment\n\n  NOP ; after\n# hash comment\nHlt # too\nmov al, ';'")).toBe("90 f4 b0 3b");
  });

  it("switches code size with bits (and [bits], use16)", () => {
    expect(hex("bits 16\ninc ax\n[bits 32]\ninc eax\nuse64\ninc eax")).toBe("40 40 ff c0");
  });
});

describe("the result", () => {
  it("maps addresses to source lines, code and data", () => {
    const r = assemble("start:\n  mov eax, 1\n  times 2 nop\n  db 1, 2\n", { org: 0x2000 });
    expect(r.org).toBe(0x2000);
    expect(r.lines).toEqual([
      { address: 0x2000, length: 5, line: 2, kind: "code", bits: 64 },
      { address: 0x2005, length: 1, line: 3, kind: "code", bits: 64 },
      { address: 0x2006, length: 1, line: 3, kind: "code", bits: 64 },
      { address: 0x2007, length: 2, line: 4, kind: "data", bits: 64 },
    ]);
  });
});

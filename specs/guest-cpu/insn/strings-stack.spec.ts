/**
 * String instructions with REP/REPE/REPNE (SDM Vol. 2B MOVS, CMPS, SCAS,
 * STOS, LODS, REP), PUSHF/POPF (privilege rules), ENTER/LEAVE, POP to memory,
 * CMPXCHG8B/16B, XLAT, far CALL/RET — expected values worked out by hand.
 */
import { FLAG } from "../../../src/guest-cpu/registers";
import { L, runSys, SEL } from "../support/system-machine";

const D = L.data;

describe("string instructions", () => {
  it("REP MOVSB copies RCX bytes forward and leaves RSI/RDI past them, RCX = 0", () => {
    const r = runSys(`mov rsi, ${D}\nmov rdi, ${D + 0x100}\nmov rcx, 5\nrep movsb`, {
      setup: (cpu) => cpu.mem.writeBytes(D, new Uint8Array([1, 2, 3, 4, 5, 6])),
    });
    expect(Array.from(r.cpu.mem.readBytes(D + 0x100, 6))).toEqual([1, 2, 3, 4, 5, 0]);
    expect(r.reg("rsi")).toBe(BigInt(D + 5));
    expect(r.reg("rdi")).toBe(BigInt(D + 0x105));
    expect(r.reg("rcx")).toBe(0n);
  });

  it("with DF = 1 MOVSD walks backwards", () => {
    const r = runSys(`std\nmov rsi, ${D + 4}\nmov rdi, ${D + 0x104}\nmov ecx, 2\nrep movsd\ncld`, {
      setup: (cpu) => cpu.mem.writeBytes(D, new Uint8Array([1, 0, 0, 0, 2, 0, 0, 0])),
    });
    expect(r.cpu.mem.read(D + 0x100, 8)).toBe(0x0000_0002_0000_0001n);
    expect(r.reg("rsi")).toBe(BigInt(D - 4));
  });

  it("REPE CMPSB stops at the first difference with ZF = 0 and RCX counting what is left", () => {
    const r = runSys(`mov rsi, ${D}\nmov rdi, ${D + 0x10}\nmov ecx, 8\nrepe cmpsb\nsetz al`, {
      setup: (cpu) => {
        cpu.mem.writeBytes(D, new TextEncoder().encode("abcdefgh"));
        cpu.mem.writeBytes(D + 0x10, new TextEncoder().encode("abcXefgh"));
      },
    });
    expect(r.reg("rcx")).toBe(4n);
    expect(r.reg("rax") & 0xffn).toBe(0n);
    expect(r.reg("rsi")).toBe(BigInt(D + 4));
  });

  it("REPNE SCASB finds a byte (strlen idiom)", () => {
    const r = runSys(`mov rdi, ${D}\nxor eax, eax\nmov rcx, -1\nrepne scasb\nnot rcx\ndec rcx`, {
      setup: (cpu) => cpu.mem.writeBytes(D, new TextEncoder().encode("hello\0")),
    });
    expect(r.reg("rcx")).toBe(5n);
  });

  it("REP STOSQ fills, LODSW loads AX and keeps the rest of RAX", () => {
    const r = runSys(`mov rdi, ${D}\nmov rax, 0x1122334455667788\nmov ecx, 3\nrep stosq\nmov rsi, ${D}\nmov rax, -1\nlodsw`);
    expect(r.cpu.mem.read(D + 16, 8)).toBe(0x1122334455667788n);
    expect(r.reg("rax")).toBe(0xffff_ffff_ffff_7788n);
  });

  it("a long REP STOSB runs in interruptible chunks to completion", () => {
    const r = runSys(`mov rdi, ${D}\nmov al, 0xab\nmov ecx, 200000\nrep stosb`, {}, 100);
    expect(r.stop).toBe("hlt");
    expect(r.cpu.mem.read(D + 199999, 1)).toBe(0xabn);
    expect(r.cpu.mem.read(D + 200000, 1)).toBe(0n);
  });

  it("a 32-bit address size (67h) uses ESI/EDI/ECX", () => {
    const r = runSys(`mov rsi, 0xffffffff00000000 + ${D}\nmov edi, ${D + 0x40}\nmov rcx, 0x100000002\nrep movsb [edi], [esi]`, {
      setup: (cpu) => cpu.mem.writeBytes(D, new Uint8Array([9, 8])),
    });
    expect(r.faults).toEqual([]);
    expect(r.cpu.mem.read(D + 0x40, 2)).toBe(0x0809n);
    expect(r.reg("rcx")).toBe(0n); // ECX written: upper half cleared
  });
});

describe("stack instructions", () => {
  it("PUSHFQ/POPFQ round-trip the status flags; POPF at CPL 3 keeps IOPL and IF", () => {
    const r = runSys("pushfq\nor qword ptr [rsp], 0x3201\npopfq\npushfq\npop rbx\nint3", { user: true });
    expect(Number(r.q(Number(r.reg("rsp")) + 16)) & (FLAG.IOPL | FLAG.IF | FLAG.CF)).toBe(FLAG.CF);
    expect(Number(r.reg("rbx")) & FLAG.CF).toBe(FLAG.CF);
  });

  it("POPF at CPL 0 loads IOPL and IF", () => {
    const r = runSys("push 0x3202\npopfq");
    expect(r.cpu.s.rflags & (FLAG.IOPL | FLAG.IF)).toBe(FLAG.IOPL | FLAG.IF);
  });

  it("ENTER 16, 0 / LEAVE build and drop a frame", () => {
    const r = runSys("mov rbp, 0x1234\nenter 16, 0\nmov rbx, rbp\nmov rcx, rsp\nleave");
    expect(r.reg("rbx")).toBe(BigInt(L.rsp - 8));
    expect(r.reg("rcx")).toBe(BigInt(L.rsp - 24));
    expect(r.reg("rbp")).toBe(0x1234n);
    expect(r.reg("rsp")).toBe(BigInt(L.rsp));
  });

  it("ENTER with nesting level 2 copies the outer frame pointer", () => {
    const r = runSys("mov rbp, 0x7fff0\nmov qword ptr [0x7ffe8], 0x5555\nenter 8, 2");
    // push rbp; push [rbp-8]; push frame; rsp -= 8
    expect(r.q(L.rsp - 16)).toBe(0x5555n);
    expect(r.q(L.rsp - 24)).toBe(BigInt(L.rsp - 8));
    expect(r.reg("rsp")).toBe(BigInt(L.rsp - 32));
  });

  it("POP to memory addressed by RSP uses RSP after the increment", () => {
    const r = runSys("push 7\npush 9\npop qword ptr [rsp]");
    // 9 is popped; RSP points at the 7, which is overwritten with 9.
    expect(r.q(Number(r.reg("rsp")))).toBe(9n);
    expect(r.reg("rsp")).toBe(BigInt(L.rsp - 8));
  });
});

describe("CMPXCHG8B/16B, XLAT", () => {
  it("CMPXCHG8B stores ECX:EBX when EDX:EAX matches, else loads EDX:EAX; only ZF changes", () => {
    const r = runSys(`mov rax, 0x200000001\nmov [${D}], rax\nmov eax, 1\nmov edx, 2\nmov ebx, 3\nmov ecx, 4\ncmpxchg8b [${D}]\nsetz sil\ncmpxchg8b [${D}]\nsetz dil`);
    expect(r.q(D)).toBe(0x400000003n);
    expect(r.reg("rsi") & 0xffn).toBe(1n);
    expect(r.reg("rdi") & 0xffn).toBe(0n);
    expect(r.reg("rax")).toBe(3n);
    expect(r.reg("rdx")).toBe(4n);
  });

  it("CMPXCHG16B on an aligned operand", () => {
    const r = runSys(`mov qword ptr [${D}], 1\nmov qword ptr [${D + 8}], 2\nmov eax, 1\nmov edx, 2\nmov ebx, 5\nmov ecx, 6\ncmpxchg16b [${D}]`);
    expect(r.q(D)).toBe(5n);
    expect(r.q(D + 8)).toBe(6n);
  });

  it("XLAT reads [RBX + AL]", () => {
    const r = runSys(`mov rbx, ${D}\nmov al, 3\nxlatb`, { setup: (cpu) => cpu.mem.writeBytes(D, new Uint8Array([10, 11, 12, 13])) });
    expect(r.reg("rax") & 0xffn).toBe(13n);
  });
});

describe("far CALL and RET", () => {
  it("CALL far through m16:64 to the same privilege, RETFQ back", () => {
    const r = runSys(`lea rax, [rip + target]\nmov [${D}], rax\nmov word ptr [${D + 8}], ${SEL.KCODE64}\ncall far qword ptr [${D}]\nmov rcx, 2\nhlt\ntarget: mov rbx, 1\nretfq`);
    expect(r.stop).toBe("hlt");
    expect(r.reg("rbx")).toBe(1n);
    expect(r.reg("rcx")).toBe(2n);
    expect(r.reg("rsp")).toBe(BigInt(L.rsp));
  });

  it("JMP far to a 32-bit code segment enters compatibility mode; far JMP back to 64-bit", () => {
    const code = `
      mov dword ptr [${D}], ${D + 0x1000}
      mov word ptr [${D + 4}], ${SEL.KCODE32}
      jmp far dword ptr [${D}]`;
    const r = runSys(code, { extra: `bits 32\nmov ebx, 32\njmp ${SEL.KCODE64}:${D + 0x1000 + 12}\nbits 64\nmov ecx, 64\nhlt` });
    expect(r.faults).toEqual([]);
    expect(r.reg("rbx")).toBe(32n);
    expect(r.reg("rcx")).toBe(64n);
    expect(r.cpu.s.bits).toBe(64);
  });

  it("RETF to ring 3 pops SS:RSP; the return to an outer level is checked against RPL", () => {
    const code = `
      push ${SEL.UDATA}
      push ${L.userRsp}
      push ${SEL.UCODE64}
      push ${D + 0x1000}
      retfq`;
    const r = runSys(code, { extra: "int3" });
    expect(r.vector).toBe(3);
    expect(r.q(Number(r.reg("rsp")) + 8)).toBe(BigInt(SEL.UCODE64));
    expect(r.q(Number(r.reg("rsp")) + 24)).toBe(BigInt(L.userRsp));
  });
});

describe("LOCK prefix (SDM Vol. 2A LOCK)", () => {
  it.each([
    ["lock add dword ptr [rbx], 1", null],
    ["lock xadd [rbx], eax", null],
    ["lock cmpxchg [rbx], ecx", null],
    ["lock bts dword ptr [rbx], 3", null],
    ["lock inc qword ptr [rbx]", null],
    ["lock xchg [rbx], eax", null],
    ["db 0xf0, 0x83, 0xc0, 0x01 ; lock add eax, 1", "#UD"],
    ["db 0xf0, 0x89, 0x03 ; lock mov [rbx], eax", "#UD"],
  ])("%s → %s", (insn, fault) => {
    const r = runSys(insn, { regs: { rbx: D } });
    expect(r.faults[0] ?? null).toBe(fault);
  });
});

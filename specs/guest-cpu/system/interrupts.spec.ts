/**
 * INT n, INT3, INT1, INTO and IRET in real, protected and 64-bit mode,
 * including the trips to ring 3 and back (SDM Vol. 2A INT n/INTO/INT3/INT1,
 * IRET; Vol. 3A 6.12, 6.14), and the STI / MOV SS interrupt shadow (6.8.3).
 */
import { FLAG } from "../../../src/guest-cpu/registers";
import { L, runSys, SEL, sysMachine, VEC } from "../support/system-machine";

const USER = L.data + 0x1000;

describe("INT n and IRETQ in 64-bit mode", () => {
  it("INT 0x80 from ring 3 switches to RSP0, the handler's IRETQ returns to ring 3", () => {
    const r = runSys("int 0x80\nmov rbx, 1\nint3", {
      user: true,
      handlers: { 0x80: "mov rax, 0x1234\niretq" },
    });
    expect(r.vector).toBe(VEC.BP);
    expect(r.reg("rax")).toBe(0x1234n);
    expect(r.reg("rbx")).toBe(1n);
    // The INT3 frame: RIP after INT3, CS and SS of ring 3, the user RSP.
    const rsp = Number(r.reg("rsp"));
    expect(r.q(rsp)).toBe(BigInt(L.code + 2 + 7 + 1));
    expect(r.q(rsp + 8)).toBe(BigInt(SEL.UCODE64));
    expect(r.q(rsp + 24)).toBe(BigInt(L.userRsp));
    expect(r.q(rsp + 32)).toBe(BigInt(SEL.UDATA));
  });

  it("IRETQ with a hand-built frame enters ring 3 and loads RFLAGS (IOPL kept at CPL 3 by the next POPF)", () => {
    const code = `
      push ${SEL.UDATA}
      push ${L.userRsp}
      push 0x3202
      push ${SEL.UCODE64}
      push ${USER}
      iretq`;
    const r = runSys(code, { extra: "mov rcx, 7\nint 0x80" });
    expect(r.vector).toBe(0x80);
    expect(r.reg("rcx")).toBe(7n);
    const rsp = Number(r.reg("rsp"));
    expect(r.q(rsp + 8)).toBe(BigInt(SEL.UCODE64));
    // RFLAGS in the frame: IF and IOPL 3 as IRETQ loaded them at CPL 0.
    expect(Number(r.q(rsp + 16)) & (FLAG.IF | FLAG.IOPL)).toBe(FLAG.IF | FLAG.IOPL);
  });

  it("IRETQ at the same privilege pops SS:RSP too (64-bit mode always does)", () => {
    const code = `
      mov rax, rsp
      push ${SEL.KDATA}
      push 0x40000
      pushfq
      push ${SEL.KCODE64}
      lea rcx, [rip + next]
      push rcx
      iretq
      next: mov rbx, rsp`;
    const r = runSys(code);
    expect(r.stop).toBe("hlt");
    expect(r.reg("rbx")).toBe(0x40000n);
  });

  it("IRETD in 64-bit mode pops 4-byte slots, SS:ESP included", () => {
    const code = `
      sub rsp, 20
      mov dword ptr [rsp + 16], ${SEL.KDATA}
      mov dword ptr [rsp + 12], 0x44000
      mov dword ptr [rsp + 8], 2
      mov dword ptr [rsp + 4], ${SEL.KCODE64}
      lea rcx, [rip + next]
      mov dword ptr [rsp], ecx
      iretd
      next: mov rbx, rsp`;
    const r = runSys(code);
    expect(r.stop).toBe("hlt");
    expect(r.reg("rbx")).toBe(0x44000n);
  });

  it("INT n from ring 3 through a DPL-0 gate is #GP(vector × 8 + 2)", () => {
    const r = runSys("int 0x21", { user: true });
    expect(r.vector).toBe(VEC.GP);
    expect(r.faults[0]).toBe(`#GP(0x${(0x21 * 8 + 2).toString(16)})`);
    // A fault of INT n itself: the saved RIP is the INT instruction.
    expect(r.q(Number(r.reg("rsp")) + 8)).toBe(BigInt(L.code));
  });

  it("INT3 and INT1 are traps: the saved RIP follows the instruction", () => {
    const bp = runSys("nop\nint3");
    expect(bp.vector).toBe(VEC.BP);
    expect(bp.q(Number(bp.reg("rsp")))).toBe(BigInt(L.code + 2));
    const db = runSys("int1");
    expect(db.vector).toBe(VEC.DB);
    expect(db.q(Number(db.reg("rsp")))).toBe(BigInt(L.code + 1));
  });

  it("an IST gate switches to the IST stack even without a privilege change", () => {
    const r = runSys("int3", {
      setup: (cpu) => {
        // Gate 3: IST = 1.
        cpu.mem.write(L.idt + 3 * 16 + 4, 1, 1n);
      },
    });
    expect(r.vector).toBe(VEC.BP);
    expect(Number(r.reg("rsp"))).toBe(L.ist1 - 40);
  });
});

describe("INT n, INTO and IRETD in 32-bit protected mode", () => {
  it("IRETD to ring 3, INT 0x80 back to ring 0 through the TSS ESP0/SS0", () => {
    const code = `
      push ${SEL.UDATA}
      push ${L.userRsp}
      push 0x202
      push ${SEL.UCODE32}
      push ${USER}
      iretd`;
    const r = runSys(code, { mode: "protected32", extra: "mov ecx, 9\nint 0x80" });
    expect(r.vector).toBe(0x80);
    expect(r.reg("rcx")).toBe(9n);
    expect(r.cpu.s.cpl).toBe(0);
    // Frame on the ESP0 stack: EIP, CS, EFLAGS, ESP, SS.
    const esp = Number(r.reg("rsp"));
    expect(esp).toBe(L.rsp0 - 20);
    const d = (a: number) => Number(r.cpu.mem.read(a, 4));
    expect(d(esp)).toBe(USER + 7);
    expect(d(esp + 4)).toBe(SEL.UCODE32);
    expect(d(esp + 12)).toBe(L.userRsp);
    expect(d(esp + 16)).toBe(SEL.UDATA);
  });

  it("INTO traps with #OF when OF = 1 and does nothing when OF = 0", () => {
    const taken = runSys("mov al, 0x7f\nadd al, 1\ninto", { mode: "protected32" });
    expect(taken.vector).toBe(VEC.OF);
    expect(Number(taken.cpu.mem.read(Number(taken.reg("rsp")), 4))).toBe(L.code + 2 + 2 + 1);
    const notTaken = runSys("mov al, 1\nadd al, 1\ninto\nmov ebx, 5", { mode: "protected32" });
    expect(notTaken.stop).toBe("hlt");
    expect(notTaken.vector).toBeUndefined();
    expect(notTaken.reg("rbx")).toBe(5n);
  });

  it("IRETD to ring 3 nulls data segments that ring 3 may not use", () => {
    const code = `
      push ${SEL.UDATA}
      push ${L.userRsp}
      push 0x202
      push ${SEL.UCODE32}
      push ${USER}
      iretd`;
    const r = runSys(code, { mode: "protected32", extra: "int 0x80" });
    // DS/ES held the DPL-0 kernel data selector: IRET to CPL 3 loaded them with null.
    expect(r.cpu.s.segSel[3]).toBe(0);
    expect(r.cpu.s.segSel[0]).toBe(0);
  });
});

describe("INT n and IRET in real mode", () => {
  it("INT 0x21 pushes FLAGS, CS, IP; IRET pops them", () => {
    const r = runSys("int 0x21\nmov bx, 3", { mode: "real16", handlers: { 0x21: "mov ax, 0x55\niret" } });
    expect(r.stop).toBe("hlt");
    expect(r.reg("rax") & 0xffffn).toBe(0x55n);
    expect(r.reg("rbx") & 0xffffn).toBe(3n);
    expect(r.reg("rsp")).toBe(0xfff0n);
  });
});

describe("interrupt shadow (SDM Vol. 3A 6.8.3)", () => {
  it("STI with IF = 0 blocks interrupts until after the next instruction; with IF = 1 it does not", () => {
    const cpu = sysMachine("sti\nnop\nnop");
    cpu.run(1);
    expect(cpu.s.inhibit).toBe(1);
    cpu.run(1);
    expect(cpu.s.inhibit).toBe(0);
    const again = sysMachine("sti\nnop", { setup: (c) => (c.s.rflagsRest |= FLAG.IF) });
    again.run(1);
    expect(again.s.inhibit).toBe(0);
  });

  it("MOV SS blocks for one instruction and holds off a single-step trap until after it", () => {
    const cpu = sysMachine("mov ax, ss\nmov ss, ax\nnop\nnop");
    cpu.run(1);
    cpu.s.rflagsRest |= FLAG.TF;
    cpu.run(1); // MOV SS: no #DB after it
    expect(cpu.s.inhibit).toBe(2);
    expect(cpu.faults).toEqual([]);
    cpu.run(1); // NOP: the trap comes now
    expect(cpu.faults.map((f) => f.vector)).toEqual(["#DB"]);
  });
});

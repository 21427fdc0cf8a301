import { Dispatcher, policyHandler, resolveReason } from "../../src/exits/dispatcher";
import { DEFAULT_HANDLERS } from "../../src/exits/handlers";
import { EXIT_REASON_NUMBERS } from "../../src/exits/reasons";
import { fakeVcpu } from "../../src/testing";

describe("the dispatcher's handler table", () => {
  it("has a default handler for every basic exit reason", () => {
    expect(Object.keys(DEFAULT_HANDLERS).sort()).toEqual(Object.keys(EXIT_REASON_NUMBERS).sort());
  });

  it("runs the default and resumes when the handler decides nothing", () => {
    const v = fakeVcpu({ exit: "CPUID", regs: { rax: 0 } });
    expect(new Dispatcher().dispatch(v)).toEqual({ action: "resume" });
    expect(v).toHaveAdvancedRip(2);
  });

  it("counts exits per reason", () => {
    const d = new Dispatcher();
    d.dispatch(fakeVcpu({ exit: "CPUID" }));
    d.dispatch(fakeVcpu({ exit: "CPUID" }));
    expect(d.counts.get("CPUID")).toBe(2);
  });
});

describe("policies (scenario YAML `handlers:`)", () => {
  it("stop ends the run at the exit", () => {
    const v = fakeVcpu({ exit: "CPUID" });
    expect(new Dispatcher({ CPUID: "stop" }).dispatch(v)).toEqual({ action: "stop", reason: "handler-stop", detail: { exitReason: "CPUID" } });
    expect(v).not.toHaveAdvancedRip();
  });

  it("skip moves past an instruction without emulating it", () => {
    const v = fakeVcpu({ exit: "CPUID", regs: { rax: 0 } });
    new Dispatcher({ CPUID: "skip" }).dispatch(v);
    expect(v).toHaveAdvancedRip(2);
    expect(v.regs.rax).toBe(0n);
  });

  it("skip on a non-instruction exit just resumes", () => {
    const v = fakeVcpu({ exit: "EPT_MISCONFIG" });
    expect(new Dispatcher({ EPT_MISCONFIG: "skip" }).dispatch(v)).toEqual({ action: "resume" });
    expect(v).not.toHaveAdvancedRip();
  });

  it("inject raises the event at the instruction (no RIP advance)", () => {
    const v = fakeVcpu({ exit: "CPUID" });
    new Dispatcher({ CPUID: { inject: { vector: "UD" } } }).dispatch(v);
    expect(v).toHaveInjected({ vector: "UD", type: "hardware-exception" });
    expect(v).not.toHaveAdvancedRip();
  });

  it("accepts aliases and numbers as reasons, and suggests a name for a typo", () => {
    expect(resolveReason("INVALID_STATE")).toBe("INVALID_GUEST_STATE");
    expect(resolveReason(12)).toBe("HLT");
    expect(() => resolveReason("CPUDI")).toThrow(/'CPUDI' is not an exit reason; did you mean 'CPUID'\?/);
    expect(() => policyHandler("CPUID", "ignore" as never)).toThrow(/expected one of default, stop, skip, inject/);
  });
});

describe("overrides compose with the default", () => {
  it("an override can run the default through next()", () => {
    const seen: bigint[] = [];
    const d = new Dispatcher().set("CPUID", (vcpu, next) => {
      next();
      seen.push(vcpu.regs.rax);
      vcpu.regs.rbx = 0x1234n; // then adjust what the default produced
    });
    const v = fakeVcpu({ exit: "CPUID", regs: { rax: 0 } });
    d.dispatch(v);
    expect(seen).toEqual([0xdn]);
    expect(v.regs.rbx).toBe(0x1234n);
    expect(v).toHaveAdvancedRip(2);
  });

  it("overrides stack: each one's next is the one it replaced", () => {
    const order: string[] = [];
    const d = new Dispatcher()
      .set("HLT", (_v, next) => { order.push("first"); next(); })
      .set("HLT", (_v, next) => { order.push("second"); next(); });
    const v = fakeVcpu({ exit: "HLT" });
    d.dispatch(v);
    expect(order).toEqual(["second", "first"]);
    expect(v).toHaveExitedToUserspace("hlt");
  });
});

describe("re-injection of an event whose delivery the exit interrupted (SDM Vol. 3C 28.2.4)", () => {
  it("an EPT violation during delivery of #PF re-injects the #PF after lazy mapping", () => {
    const v = fakeVcpu({
      exit: { reason: "EPT_VIOLATION", qualification: { ept: { write: true } }, guestPhysicalAddress: 0x7_f000, idtVectoring: { vector: "PF", errorCode: 2 } },
      vm: { memoryKind: () => "ram", mapRam: () => {} },
    });
    expect(new Dispatcher().dispatch(v)).toEqual({ action: "resume" });
    expect(v).toHaveInjected({ vector: "PF", errorCode: 2 });
  });

  it("does not override an injection the handler made", () => {
    const v = fakeVcpu({ exit: { reason: "CPUID", idtVectoring: { vector: 0x20, type: "external-interrupt" } } });
    new Dispatcher({ CPUID: { inject: { vector: "UD" } } }).dispatch(v);
    expect(v).toHaveInjected({ vector: "UD" });
  });
});

describe("robustness: every default handler gives an architectural answer on a bare fake", () => {
  const reasons = Object.keys(EXIT_REASON_NUMBERS).filter((r) => r !== "EXCEPTION_NMI");
  it.each(reasons)("%s", (reason) => {
    const v = fakeVcpu({ exit: reason });
    const outcome = new Dispatcher().dispatch(v);
    expect(["resume", "userspace", "stop"]).toContain(outcome.action);
  });

  it("an EPT violation whose instruction cannot be fetched is an internal error, not a crash", () => {
    const v = fakeVcpu({ exit: { reason: "EPT_VIOLATION", qualification: { ept: { read: true } }, guestPhysicalAddress: 0xfe00_0000n } });
    expect(new Dispatcher().dispatch(v)).toMatchObject({ action: "userspace", exit: { kind: "internal-error", message: expect.stringMatching(/cannot fetch the instruction at RIP 0x10000/) } });
  });

  it("a handler touching unmapped guest memory ends in an internal error", () => {
    const v = fakeVcpu({ exit: "VMCALL" });
    const outcome = v.handle((vcpu) => void vcpu.readGuest(0x7000_0000n, 1));
    expect(outcome).toMatchObject({ action: "userspace", exit: { kind: "internal-error", reason: "VMCALL" } });
  });

  it("REP OUTSB from an unmapped linear buffer is a #PF for the guest with CR2 set", () => {
    const v = fakeVcpu({
      exit: { reason: "IO_INSTRUCTION", guestLinearAddress: 0x9000, qualification: { io: { port: 0x3f8, string: true, rep: true } } },
      regs: { rcx: 2, rsi: 0x9000 },
      translate: () => undefined,
    });
    v.handle();
    expect(v).toHaveInjected({ vector: "PF", errorCode: 0 });
    expect(v.regs.cr2).toBe(0x9000n);
  });
});

import { LabSession } from "../../src/lab/session";
import { FakeTarget } from "./fake-target";

function session(end = 100) {
  const t = new FakeTarget(end);
  return { t, s: new LabSession(t) };
}

describe("lab session commands", () => {
  it("steps one instruction by default and n with an argument", () => {
    const { t, s } = session();
    s.execute("s");
    expect(t.s.rip).toBe(0x10002n);
    s.execute("step 4");
    expect(t.s.rip).toBe(0x1000an);
  });

  it("next-exit stops after the first VM exit and prints it", () => {
    const { s } = session();
    const r = s.execute("n");
    expect(r.lines[0]).toBe("#1 CPUID  rip 0x10006");
    expect(r.events).toEqual([{ kind: "exit", reason: "CPUID", text: "#1 CPUID  rip 0x10006" }]);
  });

  it("continue runs to the end and says why it stopped", () => {
    const { s } = session(10);
    const r = s.execute("c");
    expect(r.lines).toContain("the run has ended: hlt");
  });

  it.each([
    ["b rip 0x10010", "breakpoint: rip 0x10010", 0x10010n],
    ["b exit cpuid", "breakpoint: exit CPUID", 0x10006n],
    ["b vmcs EXITS", "breakpoint: EXITS 0x0 → 0x1", 0x10006n],
  ])("%s stops continue there", (bp, line, rip) => {
    const { t, s } = session();
    s.execute(bp);
    expect(s.execute("c").lines).toContain(line);
    expect(t.s.rip).toBe(rip);
  });

  it("diff shows old → new for registers and VMCS fields since the previous stop", () => {
    const { s } = session();
    s.execute("step 2");
    s.execute("step");
    expect(s.execute("diff").lines).toEqual([
      "after #1 CPUID  rip 0x10006:",
      "reg  rax                          0xe0 → 0x1b27",
      "reg  rip                          0x10004 → 0x10006",
      "vmcs GUEST_RIP                    0x10004 → 0x10006",
      "vmcs VM_EXIT_REASON               0x0 → 0xa",
      "vmcs EXITS                        0x0 → 0x1",
    ]);
  });

  it("unknown commands get a suggestion, bad arguments the usage", () => {
    const { s } = session();
    expect(s.execute("stpe").lines).toEqual(["unknown command 'stpe'; did you mean 'step'? (type 'help')"]);
    expect(s.execute("walk").lines).toEqual(["walk: address is missing (usage: walk ADDR)"]);
    expect(s.execute("mem zz").lines).toEqual(["mem: address: 'zz' is not a number (decimal or 0x hex) (usage: mem ADDR [len])"]);
  });

  it("every command has one line of help", () => {
    const { s } = session();
    const lines = s.execute("help").lines;
    expect(lines.length).toBeGreaterThanOrEqual(18);
    expect(s.execute("help b").lines).toEqual([
      "b exit REASON | b rip ADDR | b vmcs FIELD  — break on an exit reason, at a RIP, or when a VMCS field changes (also: b)",
    ]);
  });

  it("vmcs prints a group or a field and suggests a name", () => {
    const { s } = session();
    s.execute("n");
    expect(s.execute("vmcs exit-info").lines).toEqual(["VM_EXIT_REASON                       0xa"]);
    expect(s.execute("vmcs guest_rip").lines).toEqual(["GUEST_RIP                            0x10006"]);
    expect(s.execute("vmcs GUEST_RPI").lines).toEqual(["no VMCS group or field 'GUEST_RPI'; did you mean 'GUEST_RIP'?"]);
  });

  it("snapshot and restore return to the named state", () => {
    const { t, s } = session();
    s.execute("step 2");
    s.execute("snapshot a");
    s.execute("step 5");
    expect(s.execute("restore a").lines).toEqual(["restored 'a' (step 2, rip 0x10004)"]);
    expect(t.s.rip).toBe(0x10004n);
  });
});

describe("reverse stepping", () => {
  // Property: for any n ≤ m, stepping m forward then n back equals stepping m − n forward.
  it.each([
    [1, 1], [5, 5], [7, 3], [20, 11], [40, 40],
  ])("step %i, back %i equals the state after the difference", (m, n) => {
    const a = session();
    a.s.execute(`step ${m}`);
    a.s.execute(`back ${n}`);
    const b = session();
    if (m - n) b.s.execute(`step ${m - n}`);
    expect(a.t.s).toEqual(b.t.s);
    expect(a.s.step).toBe(m - n);
  });

  it("going back across a snapshot and a continue replays exactly", () => {
    const a = session(50);
    a.s.execute("step 3");
    a.s.execute("c");
    a.s.execute("back 17");
    a.s.execute("back 1");
    const b = session(50);
    b.s.execute("step 32");
    expect(a.t.s).toEqual(b.t.s);
  });

  it("a named snapshot can be restored after going back past it", () => {
    const a = session(50);
    a.s.execute("step 10");
    a.s.execute("snapshot ten");
    a.s.execute("step 4");
    a.s.execute("back 9");
    expect(a.s.execute("restore ten").lines).toEqual(["restored 'ten' (step 10, rip 0x10014)"]);
    const b = session(50);
    b.s.execute("step 10");
    expect(a.t.s).toEqual(b.t.s);
  });

  it("back at the start says so", () => {
    const { s } = session();
    expect(s.execute("back").lines).toEqual(["already at the start"]);
  });
});

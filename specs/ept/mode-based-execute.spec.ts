/**
 * Mode-based execute control for EPT (secondary control bit 22; SDM Vol. 3C
 * 29.3.3.2 and Table 28-7 bits 5 and 6): bit 2 grants execute to supervisor-
 * mode linear addresses, bit 10 to user-mode ones (U/S = 1 at every guest
 * level). Without the control bit 10 is ignored.
 */
import { makeRig, OFFSET, TARGET_GPA, TARGET_LIN } from "./rig";

const FETCH = 1 << 2, READABLE = 1 << 3, WRITABLE = 1 << 4, EXEC = 1 << 5, USER_EXEC = 1 << 6;
const GLA = (1 << 7) | (1 << 8);
const USER_LINEAR = 1 << 9, WRITABLE_LINEAR = 1 << 10;

describe("mode-based execute control for EPT", () => {
  it.each([
    // leaf bit 2 (X) and bit 10 (XU); user = guest U/S and CPL 3
    { x: true, xu: false, user: false, mbec: true, ok: true },
    { x: true, xu: false, user: true, mbec: true, ok: false, q: READABLE | WRITABLE | EXEC },
    { x: false, xu: true, user: true, mbec: true, ok: true },
    { x: false, xu: true, user: false, mbec: true, ok: false, q: READABLE | WRITABLE | USER_EXEC },
    { x: true, xu: false, user: true, mbec: false, ok: true },
    { x: false, xu: true, user: true, mbec: false, ok: false, q: READABLE | WRITABLE },
  ])("X=$x XU=$xu, user-mode address $user, control $mbec", ({ x, xu, user, mbec, ok, q }) => {
    const rig = makeRig({ guestUser: user });
    rig.ept.map({ from: TARGET_GPA, to: rig.targetHpa, size: 4096, perms: x ? "rwx" : "rw-", userExec: xu });
    const res = rig.translate("fetch", { mbec, user });
    if (ok) {
      expect(res.fault).toBeNull();
      return;
    }
    // Bit 11 is execute-disable: 0 for this executable guest page.
    const linear = (user ? USER_LINEAR : 0) | WRITABLE_LINEAR;
    expect(res.fault).toEqual({ kind: "ept-violation", qualification: FETCH | q! | GLA | linear, gpa: TARGET_GPA + OFFSET, gla: TARGET_LIN + OFFSET, level: 3 });
  });

  it("an entry with only bit 10 set is present under the control", () => {
    const rig = makeRig({ guestUser: true });
    rig.ept.setEntry(TARGET_GPA, 3, BigInt(rig.targetHpa) | 0x400n | (6n << 3n));
    expect(rig.translate("fetch", { mbec: true, user: true }).fault).toBeNull();
    // ...and not present without it.
    expect(rig.translate("fetch", { mbec: false, user: true }).fault).toMatchObject({ kind: "ept-violation", level: 3 });
  });
});

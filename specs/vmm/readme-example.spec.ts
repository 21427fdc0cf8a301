/** The example of the README's VMM section, kept running. */
import { Vm } from "../../src/vmm/vm";

it("README: a VM that prints through the UART, snapshotted and restored", () => {
  const vm = new Vm({
    memory: 1 << 20, // guest RAM; long64 guest, KVM-like VMCS, EPT identity map
    asm: `
      mov dx, 0x3f8
      mov al, 'h'
      out dx, al         ; IO_INSTRUCTION exit → userspace io → the 16550 prints
      mov al, 'i'
      out dx, al
      hlt                ; HLT exit, nothing pending → the run stops
    `,
  });
  const snap = vm.snapshot(); // copy-on-write: nothing is copied yet
  const r = vm.run();
  expect(r.stopReason).toBe("hlt");
  expect(r.console).toBe("hi");
  expect(r.exits.map((e) => e.reason)).toEqual(["IO_INSTRUCTION", "IO_INSTRUCTION", "HLT"]);
  expect(r.userspaceExits[0]).toEqual({ kind: "io", port: 0x3f8, direction: "out", size: 1, value: 0x68 });
  vm.restore(snap); // back to before VMLAUNCH: memory pages, CPU, VMCS, devices
  expect(vm.console).toBe("");
  const file = vm.saveFile(); // "VMXLSNAP" v1
  expect(file.length).toBeLessThan(64 * 1024);
});

/**
 * `vmxlab explain <exit reason>`: the basic exit reasons (SDM Vol. 3C
 * Appendix C), printed from the reason table.
 */
import { hex } from "../common/u64";
import { HYPERCALLS } from "./handlers/vmcall";
import { Qualification } from "./qualification";
import { lookupExitReason, type ExitReasonDef } from "./reasons";
import { wrap } from "../common/wrap";

const QUALIFICATION_TEXT: Record<ExitReasonDef["qualification"], string> = {
  none: "none (0 or undefined)",
  exception: "#DB: debug-exception bits B0-B3, BD, BS, RTM (Table 28-1); #PF: the faulting linear address; otherwise 0",
  "sipi-vector": "bits 7:0: the SIPI vector",
  "io-smi": "the I/O instruction that preceded the SMI, laid out as in Table 28-5",
  "task-switch": "bits 15:0: TSS selector; bits 31:30: source (0 CALL, 1 IRET, 2 JMP, 3 task gate in IDT) (Table 28-2)",
  "linear-address": "the linear-address operand of the instruction",
  displacement: "the displacement of the memory operand (operand details in VMX_INSTRUCTION_INFO, SDM 28.2.5)",
  "cr-access": "bits 3:0 CR number; 5:4 access type (0 MOV to CR, 1 MOV from CR, 2 CLTS, 3 LMSW); 6 LMSW operand (0 register, 1 memory); 11:8 GPR; 31:16 LMSW source data (Table 28-3)",
  "dr-access": "bits 2:0 DR number; bit 4 direction (0 MOV to DR, 1 MOV from DR); 11:8 GPR (Table 28-4)",
  io: "bits 2:0 size-1; bit 3 direction (1 = IN); bit 4 string; bit 5 REP; bit 6 operand (0 DX, 1 immediate); 31:16 port (Table 28-5)",
  "entry-failure": "0, or 2 = PDPTE loading failed, 3 = NMI injection blocked by STI/MOV SS, 4 = VMCS link pointer invalid (SDM 27.8)",
  "msr-load-index": "the 1-based index of the failing entry in the VM-entry MSR-load area",
  "apic-access": "bits 11:0 page offset; 15:12 access type (0 read, 1 write, 2 fetch, 3 event delivery, 10 guest-physical event delivery, 15 guest-physical fetch); bit 16 asynchronous (Table 28-6)",
  "eoi-vector": "bits 7:0: the vector whose EOI was virtualized",
  "apic-write-offset": "bits 11:0: the offset written on the APIC-access page",
  "ept-violation": "bits 2:0 read/write/fetch; 5:3 what the EPT entries allowed (R/W/X); 6 user-execute; 7 GUEST_LINEAR_ADDRESS valid; 8 access to the final translation; 12 NMI unblocking due to IRET (Table 28-7)",
  "nmi-unblocking": "bit 12: NMI unblocking due to IRET",
  notify: "bit 0: VM context invalid; bit 12: NMI unblocking due to IRET",
};

export function formatExitReason(r: ExitReasonDef): string {
  const lines = [
    `${r.name} (basic exit reason ${r.number}): ${r.description}`,
    `  SDM:           ${r.sdm.replace(/^SDM /, "")}; Appendix C`,
    `  caused by:     ${r.cause}`,
    `  qualification: ${QUALIFICATION_TEXT[r.qualification]}`,
    `  category:      ${r.category}${r.category === "instruction" ? " (fault-like: RIP points at the instruction; VM_EXIT_INSTRUCTION_LEN is valid)" : ""}`,
  ];
  if (r.aliases?.length) lines.push(`  also known as: ${r.aliases.join(", ")}`);
  if (r.linux === false) lines.push("  name:          vmxlab's (Linux defines no EXIT_REASON_ for it)");
  // No blank lines: the README's console examples compare output line by line.
  if (r.explain) lines.push(wrap(r.explain, 76).replace(/^/gm, "  "));
  if (r.name === "VMCALL") {
    lines.push("  vmxlab hypercalls (RAX = number):");
    for (const h of HYPERCALLS) lines.push(`    ${String(h.nr).padStart(2)} ${h.name.padEnd(13)} ${h.args}; returns ${h.returns}`);
    lines.push("    other numbers return -1000 (KVM's -KVM_ENOSYS); calls from CPL > 0 return -1 (-KVM_EPERM)");
  }
  return lines.join("\n") + "\n";
}

/** "CPUID", "10", or a reason with a qualification to decode: "CR_ACCESS 0x113". */
export function explainExitReason(query: string): string | undefined {
  const words = query.replace(/^exit[-_\s]?reason\s+/i, "").trim().split(/\s+/);
  const r = lookupExitReason(words[0] ?? "");
  if (!r) return undefined;
  if (words.length === 2 && /^(0x[0-9a-f]+|\d+)$/i.test(words[1]!)) {
    const raw = BigInt(words[1]!);
    let decoded: string;
    try {
      const q = new Qualification(r.name, raw);
      decoded = q.summary() || "(this reason has no qualification fields)";
    } catch (e) {
      decoded = `not a valid ${r.name} qualification: ${(e as Error).message}`;
    }
    return `${r.name} qualification ${hex(raw)}: ${decoded}\n${formatExitReason(r)}`;
  }
  if (words.length > 1) return undefined;
  return formatExitReason(r);
}

/**
 * Disassembly in the assembler's own (NASM) syntax through iced-x86's
 * Formatter, so that `vmxlab asm` reads back what `vmxlab disasm` prints and
 * produces the same bytes.
 */
import { Code, Decoder, DecoderOptions, Formatter, FormatterSyntax, Instruction, MemorySizeOptions, OpKind } from "iced-x86";

export interface DisasmLine {
  address: number;
  bytes: Uint8Array;
  text: string;
  invalid: boolean;
}

let formatter: Formatter | undefined;

function fmt(): Formatter {
  if (!formatter) {
    formatter = new Formatter(FormatterSyntax.Nasm);
    formatter.hexPrefix = "0x";
    formatter.hexSuffix = "";
    formatter.uppercaseHex = false;
    formatter.spaceAfterOperandSeparator = true;
    // `short`/`near` keep the branch form the bytes have.
    formatter.showBranchSize = true;
    formatter.branchLeadingZeros = false;
    formatter.memorySizeOptions = MemorySizeOptions.Always;
    // iced 1.21's small-number shortcut prints 0x100000001 as "1" (it looks at the low 32 bits only).
    formatter.smallHexNumbersInDecimal = false;
  }
  return formatter;
}

/** Near JMPs have a short form; iced only marks `short`, so the near ones are marked here. */
const NEAR_JMP = new Set([Code.Jmp_rel16, Code.Jmp_rel32_32, Code.Jmp_rel32_64]);
/** In 64-bit code iced leaves the size off m16:64; the assembler's default far operand is m16:32. */
const FAR_M1664 = new Set([Code.Jmp_m1664, Code.Call_m1664]);

function format(ins: Instruction): string {
  let text = fmt().format(ins);
  if (NEAR_JMP.has(ins.code) && ins.op0Kind !== OpKind.Register && !/\bnear\b/.test(text)) text = text.replace(/^(\S+\s+)/, "$1near ");
  // iced names some sizes NASM has no keyword for (`mem384` for AESENCWIDE128KL's 48 bytes).
  text = text.replace(/\bmem\d+ \[/, "[");
  if (FAR_M1664.has(ins.code) && !/\bqword far\b/.test(text)) text = text.replace(/\bfar \[/, "qword far [");
  return text;
}

/** Disassembles `code` as loaded at `address`, `bits`-bit code. */
export function disassemble(code: Uint8Array, address: number, bits: 16 | 32 | 64, maxCount = Infinity): DisasmLine[] {
  const d = new Decoder(bits, code, DecoderOptions.None);
  d.ip = BigInt(address);
  const ins = new Instruction();
  const out: DisasmLine[] = [];
  try {
    while (d.canDecode && out.length < maxCount) {
      const pos = d.position;
      d.decodeOut(ins);
      const len = ins.length;
      out.push({
        address: address + pos,
        bytes: code.slice(pos, pos + len),
        text: ins.isInvalid ? "(bad)" : format(ins),
        invalid: ins.isInvalid,
      });
    }
  } finally {
    ins.free();
    d.free();
  }
  return out;
}

/** One instruction at the start of `bytes` (for traces and exit reports). */
export function formatInsn(bytes: Uint8Array, address: number, bits: 16 | 32 | 64): string {
  return disassemble(bytes, address, bits, 1)[0]?.text ?? "(bad)";
}

export function hexBytes(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join(" ");
}

/** Disassembly in Intel syntax through iced-x86's Formatter. */
import { Decoder, DecoderOptions, Formatter, FormatterSyntax, Instruction } from "iced-x86";

export interface DisasmLine {
  address: number;
  bytes: Uint8Array;
  text: string;
  invalid: boolean;
}

let formatter: Formatter | undefined;

function fmt(): Formatter {
  if (!formatter) {
    formatter = new Formatter(FormatterSyntax.Intel);
    formatter.hexPrefix = "0x";
    formatter.hexSuffix = "";
    formatter.uppercaseHex = false;
    formatter.spaceAfterOperandSeparator = true;
    formatter.showBranchSize = false;
    formatter.memorySizeOptions = 1; // MemorySizeOptions.Always: "qword ptr [...]"
  }
  return formatter;
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
        text: ins.isInvalid ? "(bad)" : fmt().format(ins),
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

/**
 * The snapshot file format, "VMXLSNAP" version 1 (little endian):
 *
 *   offset 0   8 bytes  magic "VMXLSNAP"
 *          8   u32      format version (1)
 *         12   u32      header length H
 *         16   H bytes  header: UTF-8 JSON (SnapshotHeader: CPU, VMX and device state, VM bookkeeping)
 *     16 + H   u32      memory section length M
 *     20 + H   M bytes  memory: raw-deflate of the non-zero pages, each as u32 page number + 4096 bytes
 *
 * Memory is the whole host memory (guest RAM, VMCS/VMXON regions, EPT
 * tables, passthrough backing); zero pages are left out, so a 16 MiB VM that
 * touched little is a small file.
 */
import { deflateRawSync, inflateRawSync } from "node:zlib";
import { inputError } from "../../common/errors";
import type { DeviceState, JsonValue } from "../../devices/device";
import { PAGE_SIZE } from "../../memory/host-memory";
import type { CpuStateJson } from "./cpu-state";
import type { VmxStateJson } from "./vmx-state";

export const SNAPSHOT_MAGIC = "VMXLSNAP";
export const SNAPSHOT_VERSION = 1;

export interface SnapshotHeader {
  /** What made it ("vmxlab 0.1.0"), when, and a label. */
  creator: string;
  label: string;
  memorySize: number;
  cpu: CpuStateJson;
  vmx: VmxStateJson | null;
  devices: Record<string, DeviceState>;
  /** The VM's own bookkeeping (virtual clock, counters, options digest). */
  vm: { [key: string]: JsonValue };
}

export interface SnapshotImage {
  header: SnapshotHeader;
  /** Host memory, memorySize bytes. */
  memory: Uint8Array;
}

export function encodeSnapshot(img: SnapshotImage): Uint8Array {
  const mem = img.memory;
  if (mem.length !== img.header.memorySize || mem.length % PAGE_SIZE !== 0) throw new RangeError("snapshot memory size mismatch");
  const pages: Uint8Array[] = [];
  for (let p = 0; p * PAGE_SIZE < mem.length; p++) {
    const page = mem.subarray(p * PAGE_SIZE, (p + 1) * PAGE_SIZE);
    if (!isZero(page)) {
      const rec = new Uint8Array(4 + PAGE_SIZE);
      new DataView(rec.buffer).setUint32(0, p, true);
      rec.set(page, 4);
      pages.push(rec);
    }
  }
  const memBytes = deflateRawSync(Buffer.concat(pages));
  const header = Buffer.from(JSON.stringify(img.header), "utf8");
  const out = Buffer.alloc(20 + header.length + memBytes.length);
  out.write(SNAPSHOT_MAGIC, 0, "latin1");
  out.writeUInt32LE(SNAPSHOT_VERSION, 8);
  out.writeUInt32LE(header.length, 12);
  header.copy(out, 16);
  out.writeUInt32LE(memBytes.length, 16 + header.length);
  memBytes.copy(out, 20 + header.length);
  return new Uint8Array(out.buffer, out.byteOffset, out.length);
}

/** Decodes a snapshot file; damaged or foreign files are input errors naming `file`. */
export function decodeSnapshot(bytes: Uint8Array, file = "<snapshot>"): SnapshotImage {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  const bad = (why: string) => inputError(`${file}: not a usable vmxlab snapshot: ${why}`);
  if (buf.length < 20 || buf.toString("latin1", 0, 8) !== SNAPSHOT_MAGIC) throw bad(`missing the "${SNAPSHOT_MAGIC}" signature`);
  const version = buf.readUInt32LE(8);
  if (version !== SNAPSHOT_VERSION) throw bad(`format version ${version}, this vmxlab reads version ${SNAPSHOT_VERSION}`);
  const hlen = buf.readUInt32LE(12);
  if (16 + hlen + 4 > buf.length) throw bad("truncated header");
  let header: SnapshotHeader;
  try {
    header = JSON.parse(buf.toString("utf8", 16, 16 + hlen)) as SnapshotHeader;
  } catch (e) {
    throw bad(`header is not valid JSON (${(e as Error).message})`);
  }
  if (typeof header.memorySize !== "number" || header.memorySize % PAGE_SIZE !== 0 || !header.cpu) throw bad("header lacks memorySize or cpu state");
  const mlen = buf.readUInt32LE(16 + hlen);
  if (20 + hlen + mlen > buf.length) throw bad("truncated memory section");
  let raw: Buffer;
  try {
    raw = inflateRawSync(buf.subarray(20 + hlen, 20 + hlen + mlen));
  } catch (e) {
    throw bad(`memory section does not inflate (${(e as Error).message})`);
  }
  if (raw.length % (4 + PAGE_SIZE) !== 0) throw bad("memory section has a partial page");
  const memory = new Uint8Array(header.memorySize);
  for (let o = 0; o < raw.length; o += 4 + PAGE_SIZE) {
    const p = raw.readUInt32LE(o);
    if ((p + 1) * PAGE_SIZE > memory.length) throw bad(`page ${p} lies outside ${header.memorySize} bytes of memory`);
    memory.set(raw.subarray(o + 4, o + 4 + PAGE_SIZE), p * PAGE_SIZE);
  }
  return { header, memory };
}

function isZero(page: Uint8Array): boolean {
  const w = new Uint32Array(page.buffer, page.byteOffset, page.length >>> 2);
  for (let i = 0; i < w.length; i++) if (w[i] !== 0) return false;
  return true;
}
